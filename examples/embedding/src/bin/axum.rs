//! Socket.IO inside an axum router: `cargo run -p embedding --bin axum -- 3000`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000u16);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("axum + socket.io on http://{}", listener.local_addr()?);
    axum::serve(listener, embedding::axum_app(embedding::socket_io())).await
}
