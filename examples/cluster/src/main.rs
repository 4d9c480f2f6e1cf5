//! The chat on several processes joined by Redis: one process per port, each a full server,
//! sharing rooms, messages and member lists through `socketio-redis`.
//!
//! ```sh
//! cargo run -p cluster -- --port 3001 &
//! cargo run -p cluster -- --port 3002 --mode classic --redis-url redis://127.0.0.1:6379 &
//! ```
//!
//! Open http://127.0.0.1:3001 and http://127.0.0.1:3002: users of both chat together.
//! `examples/cluster/README.md` puts a load balancer in front.

use cluster::Options;

#[tokio::main]
async fn main() -> Result<(), cluster::Error> {
    let options = Options::parse(std::env::args().skip(1))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
    println!(
        "chat on http://{}, through Redis at {} ({:?}, key {})",
        listener.local_addr()?,
        options.redis_url,
        options.mode,
        options.key
    );
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    cluster::run(listener, &options, stop).await
}
