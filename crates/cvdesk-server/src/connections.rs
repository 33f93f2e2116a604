//! Accepting and serving connections with hyper, with the time limits `axum::serve` does
//! not set: a deadline for each request head (so a client trickling a header byte at a
//! time cannot keep a connection forever), an idle limit between pieces of a body, and a
//! bounded graceful stop. Each request carries its peer as `ConnectInfo<SocketAddr>`.

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::http_limits::HttpLimits;

/// How long to pause accepting after the process runs out of file descriptors or memory,
/// so the connections being served can finish and free some.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(200);

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets the
/// requests in flight finish for up to `limits.shutdown_grace`, and cuts off the rest.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let app = tower::ServiceBuilder::new()
        .layer(RequestBodyTimeoutLayer::new(limits.body_read_timeout))
        .service(app);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if !is_per_connection(&error) {
                        tracing::warn!(%error, "cannot accept connections; pausing");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let service = app
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!(
        connections = connections.len(),
        "stopping: finishing the requests in flight"
    );
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = connections.len(),
            grace_seconds = limits.shutdown_grace.as_secs(),
            "requests still running when the shutdown grace ran out were cut off"
        );
    }
    connections.shutdown().await;
}

/// Errors that concern one incoming connection only; the listener is fine.
fn is_per_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Instant;

    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    fn limits() -> HttpLimits {
        HttpLimits {
            header_read_timeout: Duration::from_millis(300),
            body_read_timeout: Duration::from_millis(300),
            shutdown_grace: Duration::from_millis(300),
            ..HttpLimits::default()
        }
    }

    async fn peer(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
        peer.ip().to_string()
    }

    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(60)).await;
        "done"
    }

    async fn start() -> (
        SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let address = listener.local_addr().expect("address");
        let app = Router::new()
            .route("/peer", get(peer))
            .route("/slow", get(slow));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(serve_connections(listener, app, limits(), async {
            let _ = stopped.await;
        }));
        (address, stop, server)
    }

    #[tokio::test]
    async fn a_trickled_request_head_is_cut_off_and_others_are_served() {
        let (address, _stop, _server) = start().await;
        let mut trickle = TcpStream::connect(address).await.expect("connected");
        trickle
            .write_all(b"GET /peer HTTP/1.1\r\n")
            .await
            .expect("sent");
        let started = Instant::now();
        let mut answer = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let _ = trickle.write_all(b"X").await;
                let mut byte = [0u8; 1];
                match tokio::time::timeout(Duration::from_millis(50), trickle.read(&mut byte)).await
                {
                    Ok(Ok(0) | Err(_)) => break,
                    Ok(Ok(_)) => answer.push(byte[0]),
                    Err(_) => {}
                }
            }
        })
        .await;
        assert!(ended.is_ok(), "the server never closed the connection");
        assert!(started.elapsed() < Duration::from_secs(2));

        let mut client = TcpStream::connect(address).await.expect("connected");
        client
            .write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .expect("sent");
        let mut response = String::new();
        client.read_to_string(&mut response).await.expect("read");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(
            response.ends_with("127.0.0.1"),
            "the peer reaches the handler: {response}"
        );
    }

    #[tokio::test]
    async fn a_stop_waits_for_requests_in_flight_no_longer_than_the_grace() {
        let (address, stop, server) = start().await;
        let mut client = TcpStream::connect(address).await.expect("connected");
        client
            .write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        stop.send(()).expect("stop sent");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server stopped")
            .expect("no panic");
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "it waited for the grace"
        );
        let mut rest = Vec::new();
        let read = client.read_to_end(&mut rest).await;
        assert!(
            read.is_err() || rest.is_empty(),
            "the slow request was cut off"
        );
    }
}
