//! A TCP proxy between orgauth and Postgres that a test can cut (connections reset, new ones
//! refused), or turn into a black hole (connections stay open and accepted, and nothing is
//! forwarded either way — a silent partition), and restore, without touching the real server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

pub struct CuttableProxy {
    pub port: u16,
    open: Arc<AtomicBool>,
    forwarding: watch::Sender<bool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: JoinHandle<()>,
}

/// Copies one direction, holding every chunk while the proxy is a black hole.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut forwarding: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if forwarding.wait_for(|on| *on).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl CuttableProxy {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let (forwarding, _) = watch::channel(true);
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let acceptor = tokio::spawn({
            let (open, links, forwarding) = (open.clone(), links.clone(), forwarding.clone());
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    let upstream = upstream.clone();
                    let mut gate = forwarding.subscribe();
                    links.lock().await.push(tokio::spawn(async move {
                        // A connection made during a black hole reaches nothing until it ends.
                        if gate.wait_for(|on| *on).await.is_err() {
                            return;
                        }
                        let Ok(server) = TcpStream::connect(upstream).await else {
                            return;
                        };
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        tokio::join!(
                            pump(client_read, server_write, gate.clone()),
                            pump(server_read, client_write, gate),
                        );
                    }));
                }
            }
        });
        Self {
            port,
            open,
            forwarding,
            links,
            acceptor,
        }
    }

    /// Drops every open connection and refuses new ones.
    pub async fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    /// Keeps every connection open and accepts new ones, but forwards nothing: packets vanish.
    pub fn blackhole(&self) {
        self.forwarding.send_replace(false);
    }

    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
        self.forwarding.send_replace(true);
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}
