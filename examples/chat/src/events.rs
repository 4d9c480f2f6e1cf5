//! The chat's Socket.IO events.

use serde_json::{json, Value};
use socketio::server::{Event, Socket, SocketIo};
use socketio::Binary;

use crate::room::{now_ms, valid_name, Chat, ChatMessage, User, GENERAL};
use crate::store::Store;
use socketio::server::DisconnectReason;

fn nickname(socket: &Socket) -> String {
    socket
        .data::<User>()
        .map(|u| u.nickname)
        .unwrap_or_else(|| "guest".into())
}

/// The rooms a user chose (its own socket-id room left out).
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

fn answer(event: Event, value: &Value) {
    if let Some(ack) = event.into_ack() {
        ack.send(value);
    }
}

fn refuse(event: Event, error: &str) {
    answer(event, &json!({ "ok": false, "error": error }));
}

/// Sets the nickname others see (a `User` always serializes).
fn set_nickname(socket: &Socket, nickname: &str) {
    let user = User {
        nickname: nickname.to_owned(),
    };
    if let Err(error) = socket.set_data(&user) {
        eprintln!("cannot keep the nickname of {}: {error}", socket.id());
    }
}

/// Tells a room who is in it (but `leaving`, who is on the way out). The list is read and sent
/// under the chat's announcement lock, so the last list a client gets is the latest one.
fn send_members(io: &SocketIo, chat: &Chat, room: &str, leaving: Option<&str>) {
    chat.announce(|| {
        let sockets = io.of("/").operator().to(room).local_sockets();
        let mut names: Vec<String> = sockets
            .iter()
            .filter(|socket| Some(socket.id()) != leaving)
            .map(nickname)
            .collect();
        names.sort();
        io.to(room)
            .emit("members", &json!({ "room": room, "members": names }));
    });
}

/// Registers the chat on the main namespace.
pub(crate) fn register(io: &SocketIo, chat: Chat, store: Store) {
    let io2 = io.clone();
    io.on_connection(move |socket: Socket| {
        let guest = format!("guest-{}", &socket.id()[..4]);
        chat.claim(socket.id(), &guest);
        set_nickname(&socket, &guest);
        socket.join(GENERAL);
        let welcome = json!({ "id": socket.id(), "nickname": guest, "rooms": [GENERAL] });
        socket.emit("welcome", &welcome);
        socket
            .to(GENERAL)
            .emit("joined", &json!({ "room": GENERAL, "nickname": guest }));
        send_members(&io2, &chat, GENERAL, None);
        on_nickname(&socket, &io2, &chat);
        on_rooms(&socket, &io2, &chat, &store);
        on_messages(&socket, &store);
        on_leaving(&socket, &io2, &chat);
    });
}

fn on_nickname(socket: &Socket, io: &SocketIo, chat: &Chat) {
    let (io, chat) = (io.clone(), chat.clone());
    socket.on("set nickname", move |socket: &Socket, event: Event| {
        let name = match event
            .arg::<String>(0)
            .map_err(|e| e.to_string())
            .and_then(|n| valid_name(&n))
        {
            Ok(name) => name,
            Err(error) => return refuse(event, &error),
        };
        if !chat.claim(socket.id(), &name) {
            return refuse(event, "that nickname is taken");
        }
        let old = nickname(socket);
        set_nickname(socket, &name);
        answer(event, &json!({ "ok": true, "nickname": name }));
        let rooms = chat_rooms(socket);
        socket
            .to(rooms.clone())
            .emit("renamed", &json!({ "from": old, "to": name }));
        rooms
            .iter()
            .for_each(|room| send_members(&io, &chat, room, None));
    });
}

fn on_rooms(socket: &Socket, io: &SocketIo, chat: &Chat, store: &Store) {
    let (io2, chat2, store) = (io.clone(), chat.clone(), store.clone());
    // Async: the room's history comes from the store.
    socket.on("join", move |socket: Socket, event: Event| {
        let (io, chat, store) = (io2.clone(), chat2.clone(), store.clone());
        async move {
            let room = match event
                .arg::<String>(0)
                .map_err(|e| e.to_string())
                .and_then(|n| valid_name(&n))
            {
                Ok(room) => room,
                Err(error) => return refuse(event, &error),
            };
            socket.join(room.as_str());
            let Ok(history) = store.recent(&room).await else {
                return refuse(event, "the server is shutting down");
            };
            answer(
                event,
                &json!({ "ok": true, "room": room, "history": history }),
            );
            let who = json!({ "room": room, "nickname": nickname(&socket) });
            socket.to(room.as_str()).emit("joined", &who);
            send_members(&io, &chat, &room, None);
        }
    });
    let (io, chat) = (io.clone(), chat.clone());
    socket.on("leave", move |socket: &Socket, event: Event| {
        let Ok(room) = event.arg::<String>(0) else {
            return refuse(event, "which room?");
        };
        if room == GENERAL {
            return refuse(event, "everyone stays in general");
        }
        socket.leave(room.as_str());
        answer(event, &json!({ "ok": true }));
        let who = json!({ "room": room, "nickname": nickname(socket) });
        socket.to(room.as_str()).emit("left", &who);
        send_members(&io, &chat, &room, None);
    });
}

fn on_messages(socket: &Socket, store: &Store) {
    let store = store.clone();
    // Async: a message is stored, then broadcast by the store, before the sender hears ok.
    socket.on("message", move |socket: Socket, event: Event| {
        let store = store.clone();
        async move {
            let message = match chat_message(&socket, &event) {
                Ok(message) => message,
                Err(error) => return refuse(event, error),
            };
            match store.post(message).await {
                Ok(()) => answer(event, &json!({ "ok": true })),
                Err(_closed) => refuse(event, "the server is shutting down"),
            }
        }
    });
    socket.on("typing", |socket: &Socket, event: Event| {
        let Ok(value) = event.arg::<Value>(0) else {
            return;
        };
        let (Some(room), Some(typing)) = (value["room"].as_str(), value["typing"].as_bool()) else {
            return;
        };
        let notice = json!({ "room": room, "from": nickname(socket), "typing": typing });
        socket.to(room).volatile().emit("typing", &notice);
    });
    let io = socket.nsp();
    socket.on("file", move |socket: &Socket, event: Event| {
        #[derive(serde::Deserialize)]
        struct File {
            room: String,
            name: String,
            #[serde(rename = "type")]
            kind: String,
            data: Binary,
        }
        let Ok(file) = event.arg::<File>(0) else {
            return refuse(event, "a file needs a room, a name, a type and data");
        };
        if !chat_rooms(socket).contains(&file.room) {
            return refuse(event, "join the room first");
        }
        let out = SharedFile {
            room: file.room.clone(),
            from: nickname(socket),
            name: file.name,
            kind: file.kind,
            data: file.data,
        };
        io.to(file.room.as_str()).emit("file", &(out,));
        answer(event, &json!({ "ok": true }));
    });
}

/// The message an event carries, or why it cannot be sent.
fn chat_message(socket: &Socket, event: &Event) -> Result<ChatMessage, &'static str> {
    let value = event.arg::<Value>(0).unwrap_or_default();
    let (Some(room), Some(text)) = (value["room"].as_str(), value["text"].as_str()) else {
        return Err("a message needs a room and a text");
    };
    if !chat_rooms(socket).iter().any(|joined| joined == room)
        || text.trim().is_empty()
        || text.len() > 2000
    {
        return Err("not sent: join the room, and keep it under 2000 bytes");
    }
    Ok(ChatMessage {
        room: room.to_owned(),
        from: nickname(socket),
        text: text.to_owned(),
        at: now_ms(),
    })
}

/// A file as the other members receive it: the bytes travel as a binary attachment.
#[derive(serde::Serialize)]
struct SharedFile {
    room: String,
    from: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    data: Binary,
}

fn on_leaving(socket: &Socket, io: &SocketIo, chat: &Chat) {
    let (io, chat2) = (io.clone(), chat.clone());
    socket.on_disconnecting(move |socket: &Socket, _reason: DisconnectReason| {
        let who = nickname(socket);
        for room in chat_rooms(socket) {
            socket
                .to(room.as_str())
                .emit("left", &json!({ "room": room, "nickname": who }));
            send_members(&io, &chat2, &room, Some(socket.id()));
        }
    });
    let chat = chat.clone();
    socket
        .on_disconnect(move |socket: &Socket, _reason: DisconnectReason| chat.release(socket.id()));
}
