//! The cluster example as a library, so that tests can start it in-process: [`Options`] from
//! the command line, and [`run`] to serve the chat on a listener through Redis until a stop.

mod events;

use std::future::Future;

use socketio::server::SocketIo;
use socketio_redis::{Mode, RedisAdapterConfig, RedisAdapterFactory, SubscriptionMode};

/// An error of the example: a bad command line, Redis, the page's files, or the listener.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The command line: `--port N`, `--redis-url URL`, `--mode classic|sharded`, `--key PREFIX`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The port on 127.0.0.1 (3000).
    pub port: u16,
    /// The Redis every process shares (`redis://127.0.0.1:6379`).
    pub redis_url: String,
    /// The adapter's protocol (classic; sharded is Node's default `dynamic` mode).
    pub mode: Mode,
    /// The prefix of every channel (`socket.io`, as Node's adapters): processes with other
    /// prefixes form other clusters on the same Redis.
    pub key: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            port: 3000,
            redis_url: "redis://127.0.0.1:6379".to_owned(),
            mode: Mode::Classic,
            key: "socket.io".to_owned(),
        }
    }
}

impl Options {
    /// Reads the arguments (without the program's name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut parsed = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--port" => {
                    let port = value()?;
                    parsed.port = port.parse().map_err(|_| format!("bad port: {port}"))?;
                }
                "--redis-url" => parsed.redis_url = value()?,
                "--key" => parsed.key = value()?,
                "--mode" => parsed.mode = mode(&value()?)?,
                other => return Err(format!("unknown argument: {other}")),
            }
        }
        Ok(parsed)
    }
}

fn mode(name: &str) -> Result<Mode, String> {
    match name {
        "classic" => Ok(Mode::Classic),
        // Node's default subscription mode, so Node servers can join.
        "sharded" => Ok(Mode::Sharded(SubscriptionMode::Dynamic)),
        other => Err(format!("--mode is classic or sharded, not {other}")),
    }
}

/// Serves the chat on `listener` through the Redis at `options.redis_url` until `stop`
/// completes; then closes the connections and the adapter's.
pub async fn run(
    listener: tokio::net::TcpListener,
    options: &Options,
    stop: impl Future<Output = ()>,
) -> Result<(), Error> {
    let site = chat::Site::load()?;
    let config = RedisAdapterConfig::new(&options.redis_url)
        .mode(options.mode)
        .key(&options.key);
    let redis = RedisAdapterFactory::connect(config).await?;
    let io = SocketIo::builder().adapter(redis.clone()).build();
    events::register(&io);
    let served = chat::serve(listener, io, site, stop).await;
    redis.shutdown().await;
    Ok(served?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_has_node_s_defaults() {
        let args = |list: &[&str]| Options::parse(list.iter().map(|a| (*a).to_owned()));
        let defaults = args(&[]).expect("no arguments");
        assert_eq!((defaults.port, defaults.mode), (3000, Mode::Classic));
        assert_eq!(defaults.key, "socket.io");
        let set = args(&["--port", "3001", "--mode", "sharded", "--key", "k"]).expect("valid");
        assert_eq!(set.mode, Mode::Sharded(SubscriptionMode::Dynamic));
        assert_eq!((set.port, set.key.as_str()), (3001, "k"));
        assert!(args(&["--mode", "other"]).is_err());
        assert!(args(&["--port"]).is_err());
    }
}
