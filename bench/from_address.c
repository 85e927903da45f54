/* LD_PRELOAD shim for benchmarks: every IPv4 TCP socket the program connects is first bound
 * to the address in $FROM_ADDRESS (e.g. 127.0.0.2), so a second load generator on this host
 * reaches the server from another source address. Built by bench/run.sh:
 *   cc -shared -fPIC -O2 -o from_address.so bench/from_address.c -ldl */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    static int (*real_connect)(int, const struct sockaddr *, socklen_t);
    if (!real_connect) real_connect = dlsym(RTLD_NEXT, "connect");
    const char *from = getenv("FROM_ADDRESS");
    if (from && addr->sa_family == AF_INET) {
        struct sockaddr_in local;
        memset(&local, 0, sizeof local);
        local.sin_family = AF_INET;
        local.sin_port = 0;
        if (inet_pton(AF_INET, from, &local.sin_addr) == 1)
            bind(fd, (struct sockaddr *)&local, sizeof local);
    }
    return real_connect(fd, addr, len);
}
