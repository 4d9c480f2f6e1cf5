//! The argument list of an emit, from one Rust value: a tuple is the list, as the arguments of
//! a JavaScript call are (`socket.emit("move", x, y)` is `emit("move", &(x, y))`); any other
//! value is one argument, so a `Vec` or a slice is one array (`socket.emit("ids", [1, 2])` is
//! `emit("ids", &vec![1, 2])`); `()` is no argument at all.
//!
//! serde tells a tuple from a sequence (`serialize_tuple` against `serialize_seq`), so the
//! rule is read off the value's own `Serialize` at its top level, while it is serialized:
//! nothing is serialized twice. A fixed-size array `[T; N]` serializes as a tuple in serde,
//! and so it is `N` arguments.

use serde::ser::{self, Serialize};
use serde_json::value::Serializer as ValueSerializer;
use serde_json::{Error, Value};

use super::{Payload, PayloadError};
use crate::binary;

/// The argument list of an emit: a tuple is the list, `()` an empty one, any other value
/// (a `Vec` and a slice among them) the one argument.
///
/// ```
/// use socketio::payload::to_args;
///
/// let list = |args: &socketio::Payload| args.value().to_string();
/// assert_eq!(list(&to_args(&("hi", 2))?), r#"["hi",2]"#);
/// assert_eq!(list(&to_args(&vec![1, 2])?), "[[1,2]]");
/// assert_eq!(list(&to_args("hi")?), r#"["hi"]"#);
/// assert_eq!(list(&to_args(&())?), "[]");
/// # Ok::<(), socketio::payload::PayloadError>(())
/// ```
pub fn to_args<T: Serialize + ?Sized>(args: &T) -> Result<Payload, PayloadError> {
    let (value, attachments) = binary::collecting(|| args.serialize(Args));
    let value = value.map_err(PayloadError::Serialize)?;
    Ok(Payload::from_parts(value, attachments))
}

/// Serializes the top level of an emit's arguments into the list; below it, serde_json's own
/// value serializer does the work.
struct Args;

type Inner = ValueSerializer;

/// The list of one argument.
fn one(value: Value) -> Value {
    Value::Array(vec![value])
}

macro_rules! one_argument {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method(self, $($arg: $ty),*) -> Result<Value, Error> {
            ser::Serializer::$method(Inner {}, $($arg),*).map(one)
        })*
    };
}

impl ser::Serializer for Args {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = One<<Inner as ser::Serializer>::SerializeSeq>;
    type SerializeTuple = <Inner as ser::Serializer>::SerializeTuple;
    type SerializeTupleStruct = One<<Inner as ser::Serializer>::SerializeTupleStruct>;
    type SerializeTupleVariant = One<<Inner as ser::Serializer>::SerializeTupleVariant>;
    type SerializeMap = One<<Inner as ser::Serializer>::SerializeMap>;
    type SerializeStruct = One<<Inner as ser::Serializer>::SerializeStruct>;
    type SerializeStructVariant = One<<Inner as ser::Serializer>::SerializeStructVariant>;

    one_argument! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    /// `()`: a call without arguments.
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Array(Vec::new()))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }

    /// A newtype is its content, as in serde_json.
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        ser::Serializer::serialize_newtype_variant(Inner {}, name, index, variant, value).map(one)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        ser::Serializer::serialize_seq(Inner {}, len).map(One)
    }

    /// The argument list itself.
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Error> {
        ser::Serializer::serialize_tuple(Inner {}, len)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        ser::Serializer::serialize_tuple_struct(Inner {}, name, len).map(One)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        ser::Serializer::serialize_tuple_variant(Inner {}, name, index, variant, len).map(One)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        ser::Serializer::serialize_map(Inner {}, len).map(One)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        ser::Serializer::serialize_struct(Inner {}, name, len).map(One)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        ser::Serializer::serialize_struct_variant(Inner {}, name, index, variant, len).map(One)
    }
}

/// A compound value that is one argument: serde_json builds it, and it becomes the list's
/// only item when it ends.
struct One<S>(S);

impl<S: ser::SerializeSeq<Ok = Value, Error = Error>> ser::SerializeSeq for One<S> {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.serialize_element(value)
    }

    fn end(self) -> Result<Value, Error> {
        self.0.end().map(one)
    }
}

impl<S: ser::SerializeTupleStruct<Ok = Value, Error = Error>> ser::SerializeTupleStruct for One<S> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.serialize_field(value)
    }

    fn end(self) -> Result<Value, Error> {
        self.0.end().map(one)
    }
}

impl<S: ser::SerializeTupleVariant<Ok = Value, Error = Error>> ser::SerializeTupleVariant
    for One<S>
{
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.serialize_field(value)
    }

    fn end(self) -> Result<Value, Error> {
        self.0.end().map(one)
    }
}

impl<S: ser::SerializeMap<Ok = Value, Error = Error>> ser::SerializeMap for One<S> {
    type Ok = Value;
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.0.serialize_key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.serialize_value(value)
    }

    fn end(self) -> Result<Value, Error> {
        self.0.end().map(one)
    }
}

impl<S: ser::SerializeStruct<Ok = Value, Error = Error>> ser::SerializeStruct for One<S> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.0.serialize_field(key, value)
    }

    fn end(self) -> Result<Value, Error> {
        self.0.end().map(one)
    }
}

impl<S: ser::SerializeStructVariant<Ok = Value, Error = Error>> ser::SerializeStructVariant
    for One<S>
{
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.0.serialize_field(key, value)
    }

    fn end(self) -> Result<Value, Error> {
        self.0.end().map(one)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde::Serialize;
    use serde_json::json;

    use super::to_args;
    use crate::binary::Binary;

    fn list<T: Serialize + ?Sized>(args: &T) -> serde_json::Value {
        to_args(args).unwrap().value().clone()
    }

    #[derive(Serialize)]
    struct Point {
        x: i32,
    }

    #[derive(Serialize)]
    struct Pair(i32, i32);

    #[derive(Serialize)]
    struct Wrapped((u8, u8));

    #[test]
    fn a_tuple_is_the_list_and_anything_else_one_argument() {
        assert_eq!(list(&(1, "a", true)), json!([1, "a", true]));
        assert_eq!(list(&(vec![1, 2],)), json!([[1, 2]]));
        assert_eq!(list(&vec![1, 2]), json!([[1, 2]]));
        assert_eq!(list(&[1, 2][..]), json!([[1, 2]]));
        assert_eq!(list(&json!([1, 2])), json!([[1, 2]]));
        assert_eq!(list(&json!({"a": 1})), json!([{"a": 1}]));
        assert_eq!(list(&Point { x: 3 }), json!([{"x": 3}]));
        assert_eq!(list(&Pair(1, 2)), json!([[1, 2]]));
        assert_eq!(list("text"), json!(["text"]));
        assert_eq!(list(&7u8), json!([7]));
        assert_eq!(list(&None::<u8>), json!([null]));
        assert_eq!(list(&Some((1, 2))), json!([1, 2]));
        assert_eq!(list(&()), json!([]));
        // A newtype is its content, as serde_json has it.
        assert_eq!(list(&Wrapped((1, 2))), json!([1, 2]));
        // serde writes a fixed-size array as a tuple.
        assert_eq!(list(&[1, 2]), json!([1, 2]));
    }

    #[test]
    fn binary_arguments_become_attachments_at_any_level() {
        let args = to_args(&(Binary::from_static(b"a"), vec![Binary::from_static(b"b")])).unwrap();
        assert_eq!(
            args.value(),
            &json!([
                {"_placeholder": true, "num": 0},
                [{"_placeholder": true, "num": 1}]
            ])
        );
        assert_eq!(args.attachments().len(), 2);
        let one = to_args(&Binary::from_static(b"c")).unwrap();
        assert_eq!(one.value(), &json!([{"_placeholder": true, "num": 0}]));
    }
}
