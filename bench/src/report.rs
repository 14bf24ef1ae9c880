//! Results: latency histograms, the server's CPU time from /proc, and the output (a
//! table for people, one JSON line for scripts).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Map, Value, json};

/// The process-wide clock events carry their send time in (microseconds).
pub fn now_micros() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// Delivery latencies, in microseconds.
#[derive(Clone)]
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        Latency(Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"))
    }
}

impl Latency {
    pub fn record_since(&mut self, sent_micros: u64) {
        let _ = self.0.record(now_micros().saturating_sub(sent_micros).max(1));
    }

    pub fn record(&mut self, d: Duration) {
        let _ = self.0.record((d.as_micros() as u64).max(1));
    }

    pub fn merge(&mut self, other: &Latency) {
        let _ = self.0.add(&other.0);
    }

    /// p50, p99, p99.9 and max in milliseconds.
    pub fn summary(&self) -> Value {
        let ms = |v: u64| (v as f64 / 1000.0 * 100.0).round() / 100.0;
        if self.0.is_empty() {
            return json!(null);
        }
        json!({
            "p50_ms": ms(self.0.value_at_quantile(0.5)),
            "p99_ms": ms(self.0.value_at_quantile(0.99)),
            "p999_ms": ms(self.0.value_at_quantile(0.999)),
            "max_ms": ms(self.0.max()),
        })
    }
}

/// CPU time (user + system) of a process so far, from /proc/PID/stat.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel reports clock ticks of 1/100 s on Linux (USER_HZ).
    Some(Duration::from_millis(ticks * 10))
}

/// Resident memory of a process, in bytes, from /proc/PID/status.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// What a scenario found.
pub struct Report {
    pub scenario: &'static str,
    fields: Map<String, Value>,
    /// Why the run does not count, if it does not.
    pub invalid: Option<String>,
}

impl Report {
    pub fn new(scenario: &'static str) -> Self {
        Report { scenario, fields: Map::new(), invalid: None }
    }

    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.fields.insert(key.to_string(), value.into());
    }

    /// Adds the server's CPU time over the run, and per delivery.
    pub fn cpu(&mut self, before: Option<Duration>, after: Option<Duration>, deliveries: u64) {
        if let (Some(b), Some(a)) = (before, after) {
            let cpu = a.saturating_sub(b);
            self.set("server_cpu_s", (cpu.as_secs_f64() * 100.0).round() / 100.0);
            if deliveries > 0 {
                let per = cpu.as_secs_f64() * 1e6 / deliveries as f64;
                self.set("server_cpu_us_per_delivery", (per * 1000.0).round() / 1000.0);
            }
        }
    }

    pub fn print(&self) {
        println!("scenario: {}", self.scenario);
        for (k, v) in &self.fields {
            println!("  {k:<32} {v}");
        }
        if let Some(why) = &self.invalid {
            println!("  {:<32} {why}", "INVALID");
        }
        let mut line = Map::new();
        line.insert("scenario".into(), self.scenario.into());
        line.extend(self.fields.clone());
        line.insert("valid".into(), self.invalid.is_none().into());
        println!("{}", Value::Object(line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_merge_and_summarize() {
        let mut a = Latency::default();
        a.record(Duration::from_millis(2));
        let mut total = Latency::default();
        total.merge(&a);
        assert!(total.summary().is_object(), "{}", total.summary());
        let mut b = Latency::default();
        b.record_since(now_micros());
        assert!(b.summary().is_object());
    }
}
