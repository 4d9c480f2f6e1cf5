//! Socket.IO inside a plain hyper server: `cargo run -p embedding --bin hyper -- 3000`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000u16);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("hyper + socket.io on http://{}", listener.local_addr()?);
    embedding::serve_hyper(listener, embedding::socket_io()).await
}
