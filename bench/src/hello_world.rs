//! The baseline for the web pages: a hello-world axum handler in a process of its own, so
//! it gets a runtime and cores the way the desk does and the client measures both alike.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::Context;

/// The first argument that makes a benchmark binary serve the hello-world handler.
pub const HELLO_WORLD_FLAG: &str = "--serve-hello-world";

/// Serves `GET /` with "Hello, World!" on a free loopback port, printing its URL first.
pub async fn serve_hello_world() -> anyhow::Result<()> {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The running benchmark binary started again as the hello-world server; killed on drop.
pub struct HelloWorld {
    pub url: String,
    child: Child,
}

impl HelloWorld {
    pub fn start() -> anyhow::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg(HELLO_WORLD_FLAG)
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("unexpected first line {line:?}"))?
            .to_owned();
        Ok(HelloWorld { url, child })
    }
}

impl Drop for HelloWorld {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
