//! The chat's events (the protocol of `examples/chat`, whose page this serves), written for a
//! cluster: every broadcast goes through the adapter, and member lists are fetched from every
//! server. Kept small: no history for newcomers and no cluster-wide nickname check, which
//! would need shared storage (Redis keys) rather than pub/sub.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use socketio::server::{DisconnectReason, Event, RemoteSocket, Socket, SocketIo};
use socketio::Binary;

/// The room every user starts in and cannot leave.
const GENERAL: &str = "general";

/// What each socket keeps as its data: other servers read it through `fetchSockets`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct User {
    nickname: String,
}

#[derive(Deserialize)]
struct Message {
    room: String,
    text: String,
}

#[derive(Deserialize)]
struct Typing {
    room: String,
    typing: bool,
}

#[derive(Deserialize)]
struct File {
    room: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    data: Binary,
}

fn nickname(socket: &Socket) -> String {
    socket
        .data::<User>()
        .map_or_else(|| "guest".to_owned(), |user| user.nickname)
}

fn answer(event: Event, value: &Value) {
    if let Some(ack) = event.into_ack() {
        ack.send(&(value,));
    }
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Sends a room its member list, read from every server of the cluster.
fn send_members(io: &SocketIo, room: String) {
    let io = io.clone();
    tokio::spawn(async move {
        let Ok(sockets) = io.to(room.as_str()).fetch_sockets().await else {
            return;
        };
        let mut names: Vec<String> = sockets
            .iter()
            .map(|socket| match socket {
                RemoteSocket::Local(socket) => nickname(socket),
                RemoteSocket::Remote(socket) => socket.data["nickname"]
                    .as_str()
                    .unwrap_or("guest")
                    .to_owned(),
            })
            .collect();
        names.sort();
        io.to(room.as_str())
            .emit("members", &json!({ "room": room, "members": names }));
    });
}

/// The user's rooms, its own socket-id room left out.
fn chat_rooms(socket: &Socket) -> Vec<String> {
    let mut rooms: Vec<String> = socket
        .rooms()
        .iter()
        .filter(|room| &***room != socket.id())
        .map(|room| room.to_string())
        .collect();
    rooms.sort();
    rooms
}

/// Registers the chat on the main namespace.
pub(crate) fn register(io: &SocketIo) {
    let io2 = io.clone();
    io.of("/")
        .on_connection(move |socket: Socket| welcome(&io2, &socket));
}

fn welcome(io: &SocketIo, socket: &Socket) {
    let guest = format!("guest-{}", &socket.id()[..4]);
    let _ = socket.set_data(&User {
        nickname: guest.clone(),
    });
    socket.join(GENERAL);
    let welcome = json!({ "id": socket.id(), "nickname": guest, "rooms": [GENERAL] });
    socket.emit("welcome", &(welcome,));
    socket
        .to(GENERAL)
        .emit("joined", &json!({ "room": GENERAL, "nickname": guest }));
    send_members(io, GENERAL.to_owned());
    let io2 = io.clone();
    socket.on("set nickname", move |socket: &Socket, event: Event| {
        rename(&io2, socket, event)
    });
    let io2 = io.clone();
    socket.on("join", move |socket: &Socket, event: Event| {
        join(&io2, socket, event)
    });
    let io2 = io.clone();
    socket.on("leave", move |socket: &Socket, event: Event| {
        leave(&io2, socket, event)
    });
    let io2 = io.clone();
    socket.on("message", move |socket: &Socket, event: Event| {
        message(&io2, socket, event)
    });
    socket.on("typing", |socket: &Socket, event: Event| {
        typing(socket, &event)
    });
    let io2 = io.clone();
    socket.on("file", move |socket: &Socket, event: Event| {
        file(&io2, socket, event)
    });
    let io2 = io.clone();
    socket.on_disconnecting(move |socket: &Socket, _reason: DisconnectReason| {
        let who = nickname(socket);
        for room in chat_rooms(socket) {
            socket
                .to(room.as_str())
                .emit("left", &json!({ "room": room, "nickname": who }));
        }
    });
    socket.on_disconnect(move |_socket: &Socket, _reason: DisconnectReason| {
        send_members(&io2, GENERAL.to_owned());
    });
}

fn rename(io: &SocketIo, socket: &Socket, event: Event) {
    let name = event.arg::<String>(0).unwrap_or_default().trim().to_owned();
    if name.is_empty() || name.chars().count() > 30 {
        return answer(
            event,
            &json!({ "ok": false, "error": "a nickname has 1 to 30 characters" }),
        );
    }
    let old = nickname(socket);
    let _ = socket.set_data(&User {
        nickname: name.clone(),
    });
    answer(event, &json!({ "ok": true, "nickname": name }));
    for room in chat_rooms(socket) {
        socket
            .to(room.as_str())
            .emit("renamed", &json!({ "from": old, "to": name }));
        send_members(io, room);
    }
}

fn join(io: &SocketIo, socket: &Socket, event: Event) {
    let room = event.arg::<String>(0).unwrap_or_default().trim().to_owned();
    if room.is_empty() || room.chars().count() > 30 {
        return answer(
            event,
            &json!({ "ok": false, "error": "a room name has 1 to 30 characters" }),
        );
    }
    socket.join(room.as_str());
    answer(event, &json!({ "ok": true, "room": room, "history": [] }));
    let who = json!({ "room": room, "nickname": nickname(socket) });
    socket.to(room.as_str()).emit("joined", &who);
    send_members(io, room);
}

fn leave(io: &SocketIo, socket: &Socket, event: Event) {
    let room = event.arg::<String>(0).unwrap_or_default();
    if room == GENERAL {
        return answer(
            event,
            &json!({ "ok": false, "error": "general cannot be left" }),
        );
    }
    socket.leave(room.as_str());
    answer(event, &json!({ "ok": true }));
    let who = json!({ "room": room, "nickname": nickname(socket) });
    socket.to(room.as_str()).emit("left", &who);
    send_members(io, room);
}

fn message(io: &SocketIo, socket: &Socket, event: Event) {
    let Ok(message) = event.arg::<Message>(0) else {
        return answer(event, &json!({ "ok": false, "error": "bad message" }));
    };
    answer(event, &json!({ "ok": true }));
    let out = json!({ "room": message.room, "from": nickname(socket), "text": message.text, "at": now_ms() });
    io.to(message.room.as_str()).emit("message", &(out,));
}

fn typing(socket: &Socket, event: &Event) {
    if let Ok(typing) = event.arg::<Typing>(0) {
        let notice =
            json!({ "room": typing.room, "from": nickname(socket), "typing": typing.typing });
        socket
            .to(typing.room.as_str())
            .volatile()
            .emit("typing", &(notice,));
    }
}

fn file(io: &SocketIo, socket: &Socket, event: Event) {
    let Ok(file) = event.arg::<File>(0) else {
        return answer(event, &json!({ "ok": false, "error": "bad file" }));
    };
    answer(event, &json!({ "ok": true }));
    #[derive(Serialize)]
    struct Out<'a> {
        room: &'a str,
        from: String,
        name: &'a str,
        #[serde(rename = "type")]
        kind: &'a str,
        data: &'a Binary,
    }
    let out = Out {
        room: &file.room,
        from: nickname(socket),
        name: &file.name,
        kind: &file.kind,
        data: &file.data,
    };
    io.to(file.room.as_str()).emit("file", &(out,));
}
