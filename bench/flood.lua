-- wrk script: wrong secrets for the client in $FLOOD_BASIC, as fast as possible; prints how
-- the server answered (status: count) at the end.
dofile("bench/counting.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("FLOOD_BASIC")
wrk.body = "grant_type=client_credentials"
