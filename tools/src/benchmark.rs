//! `redis-benchmark` as a bounded subprocess, and its `-q` output read back.

use std::time::Duration;

use tokio::process::Command;

#[derive(Clone, Debug)]
pub struct Bench {
    pub rps: f64,
    pub p50_ms: Option<f64>,
}

pub struct Target<'a> {
    pub exe: &'a std::path::Path,
    pub host: &'a str,
    pub port: u16,
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
}

/// The command line as it would be typed (for the report).
pub fn command_line(target: &Target, requests: u64, clients: u32, pipeline: Option<u32>, cmd: &[&[u8]]) -> String {
    let mut line =
        format!("{} -h {} -p {} -n {requests} -c {clients} -q", target.exe.display(), target.host, target.port);
    if let Some(p) = pipeline {
        line += &format!(" -P {p}");
    }
    for arg in cmd {
        line.push(' ');
        line += &String::from_utf8_lossy(arg);
    }
    line
}

pub async fn run(
    target: &Target<'_>,
    requests: u64,
    clients: u32,
    pipeline: Option<u32>,
    cmd: &[&[u8]],
    timeout: Duration,
) -> Result<Bench, String> {
    let mut command = Command::new(target.exe);
    command.args(["-h", target.host, "-p", &target.port.to_string(), "-n", &requests.to_string()]);
    command.args(["-c", &clients.to_string(), "-q"]);
    if let Some(p) = pipeline {
        command.args(["-P", &p.to_string()]);
    }
    if let Some(user) = target.user {
        command.args(["--user", user]);
    }
    if let Some(password) = target.password {
        command.args(["-a", password, "--no-auth-warning"]);
    }
    {
        use std::os::unix::ffi::OsStrExt;
        for arg in cmd {
            command.arg(std::ffi::OsStr::from_bytes(arg));
        }
    }
    command.stdin(std::process::Stdio::null()).kill_on_drop(true);
    let output = tokio::time::timeout(timeout, command.output())
        .await
        .map_err(|_| format!("redis-benchmark took longer than {} s", timeout.as_secs()))?
        .map_err(|e| format!("cannot run {}: {e}", target.exe.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    parse_quiet(&stdout).ok_or_else(|| {
        format!(
            "no 'requests per second' in redis-benchmark output ({}): {}{}",
            output.status,
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })
}

/// The last `... NNN requests per second, p50=X msec` result of `redis-benchmark -q`, whose
/// progress lines are separated by `\r`.
pub fn parse_quiet(out: &str) -> Option<Bench> {
    let line = out.split(['\r', '\n']).rfind(|l| l.contains("requests per second"))?;
    let before = &line[..line.find(" requests per second")?];
    let rps = before.split_whitespace().last()?.parse().ok()?;
    let p50_ms = line.split("p50=").nth(1).and_then(|rest| rest.split_whitespace().next()?.parse().ok());
    Some(Bench { rps, p50_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_quiet_output_of_redis_7() {
        let out = "HUNT.CLUE b c: rps=12000.0 (overall: 11000.0) avg_msec=1.2 (overall: 1.3)\r\
                   HUNT.CLUE b c: 41152.26 requests per second, p50=0.631 msec                    \n\n";
        let bench = parse_quiet(out).unwrap();
        assert_eq!((bench.rps, bench.p50_ms), (41152.26, Some(0.631)));
        let old = "GET: 39000.00 requests per second\n";
        assert_eq!(parse_quiet(old).unwrap().p50_ms, None);
        assert!(parse_quiet("ERR unknown command\n").is_none());
    }
}
