//! What is drawn over the map: a path (`HUNT.PATH`) and a reach set (`HUNT.REACH`).

use redis::Value;

/// The node ids of the least-cost path, or `None` when `to` cannot be reached.
pub fn path(con: &mut redis::Connection, key: &str, from: u64, to: u64) -> Result<Option<Vec<u64>>, String> {
    let reply: Value =
        redis::cmd("HUNT.PATH").arg(key).arg(from).arg(to).query(con).map_err(|e| format!("HUNT.PATH: {e}"))?;
    path_of(&reply)
}

/// Every node within `maxcost` of `from`, with its cost, nearest first.
pub fn reach(con: &mut redis::Connection, key: &str, from: u64, maxcost: u64) -> Result<Vec<(u64, u64)>, String> {
    let reply: Value =
        redis::cmd("HUNT.REACH").arg(key).arg(from).arg(maxcost).query(con).map_err(|e| format!("HUNT.REACH: {e}"))?;
    reach_of(&reply)
}

/// The `path` field of a `HUNT.PATH` reply (null: no path).
pub fn path_of(reply: &Value) -> Result<Option<Vec<u64>>, String> {
    if matches!(reply, Value::Nil) {
        return Ok(None);
    }
    let path = field(reply, "path").ok_or_else(|| format!("HUNT.PATH replied without a path: {reply:?}"))?;
    redis::from_redis_value_ref(path).map(Some).map_err(|e| format!("HUNT.PATH path: {e}"))
}

/// The `nodes` field of a `HUNT.REACH` reply.
pub fn reach_of(reply: &Value) -> Result<Vec<(u64, u64)>, String> {
    let nodes = field(reply, "nodes").ok_or_else(|| format!("HUNT.REACH replied without nodes: {reply:?}"))?;
    redis::from_redis_value_ref(nodes).map_err(|e| format!("HUNT.REACH nodes: {e}"))
}

/// A field of a record reply: a flat field/value array under RESP2, a map under RESP3.
fn field<'a>(reply: &'a Value, name: &str) -> Option<&'a Value> {
    let is_name = |v: &Value| match v {
        Value::BulkString(b) => b == name.as_bytes(),
        Value::SimpleString(s) => s == name,
        _ => false,
    };
    match reply {
        Value::Array(items) => items.chunks(2).find(|kv| kv.len() == 2 && is_name(&kv[0])).map(|kv| &kv[1]),
        Value::Map(pairs) => pairs.iter().find(|(k, _)| is_name(k)).map(|(_, v)| v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    fn ints(ids: &[i64]) -> Value {
        Value::Array(ids.iter().map(|&i| Value::Int(i)).collect())
    }

    #[test]
    fn a_path_is_read_from_resp2_and_resp3_replies() {
        let resp2 = Value::Array(vec![
            bulk("cost"),
            Value::Int(25),
            bulk("path"),
            ints(&[1, 2, 3]),
            bulk("version"),
            Value::Int(1),
        ]);
        assert_eq!(path_of(&resp2).unwrap(), Some(vec![1, 2, 3]));
        let resp3 = Value::Map(vec![
            (bulk("cost"), Value::Int(25)),
            (bulk("path"), ints(&[1, 3])),
            (bulk("version"), Value::Int(1)),
        ]);
        assert_eq!(path_of(&resp3).unwrap(), Some(vec![1, 3]));
    }

    #[test]
    fn no_path_is_none() {
        assert_eq!(path_of(&Value::Nil).unwrap(), None);
    }

    #[test]
    fn a_reach_set_is_pairs_of_node_and_cost() {
        let reply = Value::Array(vec![
            bulk("nodes"),
            Value::Array(vec![ints(&[1, 0]), ints(&[2, 10])]),
            bulk("version"),
            Value::Int(5),
        ]);
        assert_eq!(reach_of(&reply).unwrap(), vec![(1, 0), (2, 10)]);
    }

    #[test]
    fn a_reply_of_another_shape_is_an_error() {
        assert!(path_of(&Value::Int(3)).unwrap_err().contains("without a path"));
        assert!(reach_of(&ints(&[1])).unwrap_err().contains("without nodes"));
    }
}
