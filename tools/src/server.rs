//! A redis-server with the module on a free port, killed and cleaned up when dropped (on success,
//! on error and on a panic that unwinds).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SpawnedServer {
    child: Child,
    pub port: u16,
    pub pid: u32,
    dir: PathBuf,
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

fn pong(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

impl SpawnedServer {
    pub fn start(redis_server: &Path, module: &Path, maxclients: usize) -> Result<SpawnedServer, String> {
        let module = module.canonicalize().map_err(|e| format!("module {}: {e}", module.display()))?;
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("hunt-bench-{}-{port}", std::process::id()));
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let log = File::create(dir.join("redis.log")).map_err(|e| e.to_string())?;
        let child = Command::new(redis_server)
            .arg("--port")
            .arg(port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            // Load processes connect from other loopback sources (127.0.0.2, ...), which
            // protected mode refuses; the server listens on 127.0.0.1 only either way.
            .args(["--protected-mode", "no"])
            .arg("--maxclients")
            .arg(maxclients.to_string())
            .arg("--dir")
            .arg(&dir)
            .arg("--loadmodule")
            .arg(&module)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                let _ = fs::remove_dir_all(&dir);
                format!("cannot start {}: {e}", redis_server.display())
            })?;
        let pid = child.id();
        let mut server = SpawnedServer { child, port, pid, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("redis-server exited ({status}) at start:\n{}", server.log_tail()));
            }
            if pong(port) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!("redis-server did not answer PING within 15 s:\n{}", server.log_tail()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for SpawnedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
