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

mod events;

use socketio::server::SocketIo;
use socketio_redis::{Mode, RedisAdapterConfig, RedisAdapterFactory, SubscriptionMode};

/// The command line: `--port N`, `--redis-url URL`, `--mode classic|sharded`.
struct Args {
    port: u16,
    redis_url: String,
    mode: Mode,
}

fn args() -> Result<Args, String> {
    let mut parsed = Args {
        port: 3000,
        redis_url: "redis://127.0.0.1:6379".to_owned(),
        mode: Mode::Classic,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => {
                let port = value()?;
                parsed.port = port.parse().map_err(|_| format!("bad port: {port}"))?;
            }
            "--redis-url" => parsed.redis_url = value()?,
            "--mode" => {
                parsed.mode = match value()?.as_str() {
                    "classic" => Mode::Classic,
                    // Node's default subscription mode, so Node servers can join.
                    "sharded" => Mode::Sharded(SubscriptionMode::Dynamic),
                    other => return Err(format!("--mode is classic or sharded, not {other}")),
                }
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let site = chat::Site::load()?;
    let config = RedisAdapterConfig::new(&args.redis_url).mode(args.mode);
    let redis = RedisAdapterFactory::connect(config).await?;
    let io = SocketIo::builder().adapter(redis.clone()).build();
    events::register(&io);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!(
        "chat on http://{}, through Redis at {} ({:?})",
        listener.local_addr()?,
        args.redis_url,
        args.mode
    );
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    chat::serve(listener, io, site, stop).await?;
    redis.shutdown().await;
    Ok(())
}
