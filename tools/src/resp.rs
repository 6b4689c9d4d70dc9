//! A minimal RESP2 reader and writer for the subscriber connections: enough for `AUTH`,
//! `SUBSCRIBE` and the `message` pushes that follow. Frames borrow from the read buffer.

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;

#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    Simple(&'a [u8]),
    Error(&'a [u8]),
    Integer(i64),
    Bulk(Option<&'a [u8]>),
    Array(Option<Vec<Frame<'a>>>),
}

/// Bulk strings larger than this are treated as a broken stream, not waited for.
const MAX_BULK: usize = 64 << 20;
const MAX_DEPTH: u32 = 8;

/// One frame from the start of `buf` and the bytes it used; `None` when `buf` holds only part
/// of a frame.
pub fn parse(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, String> {
    parse_at(buf, 0, 0)
}

/// The line starting at `from` (without its `\r\n`) and the position after it.
fn line(buf: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(from..)?;
    let cr = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..cr], from + cr + 2))
}

fn integer(text: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| format!("bad RESP integer {:?}", String::from_utf8_lossy(text)))
}

fn parse_at(buf: &[u8], pos: usize, depth: u32) -> Result<Option<(Frame<'_>, usize)>, String> {
    if depth > MAX_DEPTH {
        return Err("RESP nesting too deep".into());
    }
    let Some(&tag) = buf.get(pos) else { return Ok(None) };
    let Some((text, next)) = line(buf, pos + 1) else { return Ok(None) };
    let frame = match tag {
        b'+' => (Frame::Simple(text), next),
        b'-' => (Frame::Error(text), next),
        b':' => (Frame::Integer(integer(text)?), next),
        b'$' => {
            let len = integer(text)?;
            if len < 0 {
                (Frame::Bulk(None), next)
            } else {
                let len = len as usize;
                if len > MAX_BULK {
                    return Err(format!("RESP bulk string of {len} bytes"));
                }
                let end = next + len;
                if buf.len() < end + 2 {
                    return Ok(None);
                }
                if &buf[end..end + 2] != b"\r\n" {
                    return Err("RESP bulk string not followed by CRLF".into());
                }
                (Frame::Bulk(Some(&buf[next..end])), end + 2)
            }
        }
        b'*' => {
            let len = integer(text)?;
            if len < 0 {
                (Frame::Array(None), next)
            } else {
                let mut items = Vec::with_capacity((len as usize).min(64));
                let mut at = next;
                for _ in 0..len {
                    match parse_at(buf, at, depth + 1)? {
                        None => return Ok(None),
                        Some((item, after)) => {
                            items.push(item);
                            at = after;
                        }
                    }
                }
                (Frame::Array(Some(items)), at)
            }
        }
        other => return Err(format!("unexpected RESP type byte {other:#04x}")),
    };
    Ok(Some(frame))
}

/// A command as a RESP array of bulk strings.
pub fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads from `stream` until `buf` starts with one whole frame; returns the frame's length.
pub async fn read_frame(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<usize, String> {
    loop {
        if let Some((_, used)) = parse(buf)? {
            return Ok(used);
        }
        buf.reserve(4096);
        if stream.read_buf(buf).await.map_err(|e| format!("read: {e}"))? == 0 {
            return Err("the server closed the connection".into());
        }
    }
}

/// Whether `frame` is the server's confirmation of `SUBSCRIBE channel`.
pub fn confirms_subscribe(frame: &Frame, channel: &[u8]) -> bool {
    matches!(frame, Frame::Array(Some(items))
        if items.len() == 3 && items[0] == Frame::Bulk(Some(b"subscribe")) && items[1] == Frame::Bulk(Some(channel)))
}

/// Waits for more bytes from `stream` into `buf`: `Ok(true)` when some came, `Ok(false)` when
/// `stop` changed first.
pub async fn read_more(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    stop: &mut watch::Receiver<bool>,
) -> Result<bool, String> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(8192);
    }
    let read = tokio::select! {
        biased;
        _ = stop.changed() => return Ok(false),
        n = stream.read_buf(buf) => n,
    };
    match read {
        Ok(0) => Err("the server closed the connection".into()),
        Ok(_) => Ok(true),
        Err(e) => Err(format!("read: {e}")),
    }
}

/// Hands each whole frame at the front of `buf` to `on_frame`, then drops them from `buf`.
pub fn take_frames(buf: &mut Vec<u8>, mut on_frame: impl FnMut(Frame)) -> Result<(), String> {
    let mut at = 0;
    while let Some((frame, used)) = parse(&buf[at..]).map_err(|e| format!("RESP: {e}"))? {
        at += used;
        on_frame(frame);
    }
    buf.drain(..at);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_pubsub_message_and_reports_its_size() {
        let wire = b"*3\r\n$7\r\nmessage\r\n$6\r\nhunt:g\r\n$5\r\na\r\nbc\r\n+OK\r\n";
        let (frame, used) = parse(wire).unwrap().unwrap();
        assert_eq!(
            frame,
            Frame::Array(Some(vec![
                Frame::Bulk(Some(b"message")),
                Frame::Bulk(Some(b"hunt:g")),
                Frame::Bulk(Some(b"a\r\nbc")),
            ]))
        );
        assert_eq!(&wire[used..], b"+OK\r\n");
    }

    #[test]
    fn every_prefix_of_a_frame_is_incomplete() {
        let wire = b"*3\r\n$9\r\nsubscribe\r\n$6\r\nhunt:g\r\n:1\r\n";
        for cut in 0..wire.len() {
            assert_eq!(parse(&wire[..cut]).unwrap(), None, "cut at {cut}");
        }
        assert!(parse(wire).unwrap().is_some());
    }

    #[test]
    fn scalars_nulls_and_errors() {
        assert_eq!(parse(b":-12\r\n").unwrap(), Some((Frame::Integer(-12), 6)));
        assert_eq!(parse(b"$-1\r\n").unwrap(), Some((Frame::Bulk(None), 5)));
        assert_eq!(parse(b"*-1\r\n").unwrap(), Some((Frame::Array(None), 5)));
        assert_eq!(parse(b"-ERR no\r\n").unwrap(), Some((Frame::Error(b"ERR no"), 9)));
        assert!(parse(b"$3\r\nabcd\r\n").is_err());
        assert!(parse(b"?\r\n").is_err());
        assert!(parse(b":x\r\n").is_err());
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(command(&[b"SUBSCRIBE", b"hunt:g"]), b"*2\r\n$9\r\nSUBSCRIBE\r\n$6\r\nhunt:g\r\n");
    }
}
