//! The conformance server as it ships, started with `--parser msgpack`: its Socket.IO server
//! answers a msgpack CONNECT (a `b<base64>` record over polling) with a msgpack CONNECT that
//! carries the socket id. An unknown parser name is refused at start.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use engineio::packet::{Message, Packet as EnginePacket};
use engineio::payload;
use socketio::{DecoderConfig, MsgpackParser, NamespaceName, Packet, PacketKind, Parser};

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(error) = self.0.kill() {
            eprintln!("the server was already gone: {error}");
        }
        if let Err(error) = self.0.wait() {
            eprintln!("cannot reap the server: {error}");
        }
    }
}

/// One HTTP/1.1 request on a connection of its own: the response's body.
fn request(port: u16, method: &str, query: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "{method} /socket.io/?EIO=4&transport=polling{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Connection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("chunked"), "{head}");
    body.to_owned()
}

#[test]
fn with_parser_msgpack_the_socket_io_server_speaks_msgpack() {
    let binary = env!("CARGO_BIN_EXE_conformance-server");
    let mut child = Command::new(binary)
        .args(["--port", "0", "--parser", "msgpack"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();

    let open = request(port, "GET", "", "");
    let sid = open.split("\"sid\":\"").nth(1).unwrap().split('"').next();
    let query = format!("&sid={}", sid.unwrap());
    let connect = Packet::new(NamespaceName::root(), PacketKind::Connect(None));
    let Message::Binary(connect) = MsgpackParser.encode(&connect).unwrap().first().clone() else {
        panic!("a msgpack packet is one binary message");
    };
    let record = payload::encode(&[EnginePacket::Binary(connect)]);
    assert!(record.starts_with('b'), "a binary record: {record}");
    assert_eq!(request(port, "POST", &query, &record), "ok");

    let reply = payload::decode(&Bytes::from(request(port, "GET", &query, ""))).unwrap();
    let Some(EnginePacket::Binary(bytes)) = reply.first() else {
        panic!("not a binary message first: {reply:?}");
    };
    let mut decoder = MsgpackParser.decoder(DecoderConfig::default());
    let packet = decoder
        .feed(Message::Binary(bytes.clone()))
        .unwrap()
        .unwrap();
    let PacketKind::Connect(Some(data)) = &packet.kind else {
        panic!("not a CONNECT with data: {packet:?}");
    };
    assert!(data["sid"].is_string(), "{data}");
}

#[test]
fn an_unknown_parser_is_refused_at_start() {
    let binary = env!("CARGO_BIN_EXE_conformance-server");
    let output = Command::new(binary)
        .args(["--port", "0", "--parser", "bson"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown parser") && stderr.contains("bson"),
        "{stderr}"
    );
}
