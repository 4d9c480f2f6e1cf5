//! The Socket.IO server over TLS.
//!
//! `cargo run -p tls-server -- --port 3443 --cert cert.pem --key key.pem`; without `--cert`
//! and `--key` it makes a self-signed certificate for `localhost` and `127.0.0.1` and writes
//! it to a file that it names, for the clients to trust (`curl --cacert FILE`, Node's
//! `NODE_EXTRA_CA_CERTS=FILE`).

use std::path::PathBuf;

struct Options {
    port: u16,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        port: 3443,
        cert: None,
        key: None,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => {
                let port = value()?;
                options.port = port.parse().map_err(|_| format!("bad port: {port}"))?;
            }
            "--cert" => options.cert = Some(value()?.into()),
            "--key" => options.key = Some(value()?.into()),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(options)
}

fn certificate(options: &Options) -> Result<tls_server::Certificate, Box<dyn std::error::Error>> {
    match (&options.cert, &options.key) {
        (Some(cert), Some(key)) => Ok(tls_server::Certificate {
            chain: std::fs::read_to_string(cert)?,
            key: std::fs::read_to_string(key)?,
        }),
        (None, None) => {
            let made = tls_server::self_signed(&["localhost", "127.0.0.1"])?;
            let path = std::env::temp_dir().join("tls-server-cert.pem");
            std::fs::write(&path, &made.chain)?;
            println!(
                "self-signed certificate (trust it in clients): {}",
                path.display()
            );
            Ok(made)
        }
        _ => Err("give both --cert and --key, or neither".into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    let tls = certificate(&options)?.config()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
    println!("listening on https://{}", listener.local_addr()?);
    let stop = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("cannot wait for ctrl-c: {error}");
        }
    };
    tls_server::serve(listener, tls_server::socket_io(), tls, stop).await?;
    Ok(())
}
