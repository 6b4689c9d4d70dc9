//! Reply shapes shared by the commands: a map of named fields under RESP3, which Redis sends
//! as a flat field/value array to RESP2 clients.

use std::collections::BTreeMap;

use redis_module::{RedisValue, redisvalue::RedisValueKey};

/// Named reply fields. Redis orders them by name.
#[derive(Default)]
pub struct Fields(BTreeMap<RedisValueKey, RedisValue>);

impl Fields {
    pub fn new() -> Fields {
        Fields::default()
    }

    pub fn field(mut self, name: &str, value: RedisValue) -> Fields {
        self.0.insert(RedisValueKey::String(name.to_string()), value);
        self
    }

    pub fn int(self, name: &str, value: i64) -> Fields {
        self.field(name, RedisValue::Integer(value))
    }
}

impl From<Fields> for RedisValue {
    fn from(fields: Fields) -> RedisValue {
        RedisValue::OrderedMap(fields.0)
    }
}
