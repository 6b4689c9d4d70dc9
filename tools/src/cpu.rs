//! CPU time from /proc: a process's utime + stime (all its threads) and the whole machine's busy
//! time, each turned into "% of one core" over a wall-clock interval.

use std::time::Instant;

pub fn clock_ticks_per_second() -> f64 {
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// utime + stime of `pid`, in clock ticks.
pub fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in field 2 may hold spaces; the fields after its ')' start at field 3.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// (busy, total) clock ticks summed over all cores, from the `cpu` line of /proc/stat.
pub fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line.split_whitespace().skip(1).take(8).filter_map(|v| v.parse().ok()).collect();
    if values.len() < 5 {
        return None;
    }
    let total: u64 = values.iter().sum();
    let idle = values[3] + values[4];
    Some((total - idle, total))
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[derive(Clone, Copy)]
pub struct Snapshot {
    at: Instant,
    server: Option<u64>,
    me: Option<u64>,
    machine: Option<(u64, u64)>,
}

/// CPU use over an interval, each as % of one core (so up to 100 × cores).
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    pub seconds: f64,
    pub server: Option<f64>,
    pub me: Option<f64>,
    pub machine: Option<f64>,
}

impl Snapshot {
    pub fn take(server_pid: Option<u32>) -> Snapshot {
        Snapshot {
            at: Instant::now(),
            server: server_pid.and_then(process_ticks),
            me: process_ticks(std::process::id()),
            machine: machine_ticks(),
        }
    }

    pub fn usage_since(&self, before: &Snapshot) -> Usage {
        let seconds = self.at.duration_since(before.at).as_secs_f64();
        let hz = clock_ticks_per_second();
        let percent = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) if seconds > 0.0 => Some(a.saturating_sub(b) as f64 / hz / seconds * 100.0),
            _ => None,
        };
        let machine = match (self.machine, before.machine) {
            (Some((busy1, total1)), Some((busy0, total0))) if total1 > total0 => {
                Some((busy1 - busy0) as f64 / (total1 - total0) as f64 * cores() as f64 * 100.0)
            }
            _ => None,
        };
        Usage { seconds, server: percent(self.server, before.server), me: percent(self.me, before.me), machine }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process_and_the_machine() {
        assert!(process_ticks(std::process::id()).is_some());
        let (busy, total) = machine_ticks().unwrap();
        assert!(busy <= total && total > 0);
    }
}
