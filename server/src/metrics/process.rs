//! The process's own metrics under Prometheus's standard names (`process_*`), read
//! from `/proc/self` at scrape time on Linux. Elsewhere, or when `/proc` cannot be
//! read (a sandbox), they are left out rather than reported as zero.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

/// Encodes the process metrics of this moment.
#[derive(Debug)]
pub struct Process;

impl Collector for Process {
    #[cfg(target_os = "linux")]
    fn encode(&self, encoder: DescriptorEncoder) -> std::fmt::Result {
        linux::encode(encoder)
    }

    #[cfg(not(target_os = "linux"))]
    fn encode(&self, _encoder: DescriptorEncoder) -> std::fmt::Result {
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
    use prometheus_client::metrics::MetricType;
    use prometheus_client::metrics::counter::ConstCounter;
    use prometheus_client::metrics::gauge::ConstGauge;
    use prometheus_client::registry::Unit;

    /// What `/proc/self/stat` says, in the units of the metrics.
    #[derive(Debug, PartialEq)]
    pub(super) struct Stat {
        pub cpu_seconds: f64,
        pub resident_bytes: u64,
        pub virtual_bytes: u64,
        /// Since boot.
        pub start_seconds: f64,
    }

    pub fn encode(mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let ticks = rustix::param::clock_ticks_per_second();
        let page = rustix::param::page_size() as u64;
        let stat = std::fs::read_to_string("/proc/self/stat").ok().and_then(|s| parse_stat(&s, ticks, page));
        if let Some(stat) = stat {
            let e = encoder.encode_descriptor(
                "process_cpu",
                "Total user and system CPU time spent in seconds.",
                Some(&Unit::Seconds),
                MetricType::Counter,
            )?;
            ConstCounter::new(stat.cpu_seconds).encode(e)?;
            gauge(
                &mut encoder,
                "process_resident_memory",
                "Resident memory size in bytes.",
                stat.resident_bytes,
            )?;
            gauge(
                &mut encoder,
                "process_virtual_memory",
                "Virtual memory size in bytes.",
                stat.virtual_bytes,
            )?;
            let boot = std::fs::read_to_string("/proc/stat").ok().and_then(|s| boot_time(&s));
            if let Some(boot) = boot {
                let e = encoder.encode_descriptor(
                    "process_start_time",
                    "Start time of the process since unix epoch in seconds.",
                    Some(&Unit::Seconds),
                    MetricType::Gauge,
                )?;
                ConstGauge::new(boot as f64 + stat.start_seconds).encode(e)?;
            }
        }
        // The directory's own descriptor, open while it is read, is counted too.
        if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
            let e = encoder.encode_descriptor(
                "process_open_fds",
                "Number of open file descriptors.",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(fds.count() as i64).encode(e)?;
        }
        if let Ok((soft, _hard)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
            let e = encoder.encode_descriptor(
                "process_max_fds",
                "Maximum number of open file descriptors.",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(i64::try_from(soft).unwrap_or(i64::MAX)).encode(e)?;
        }
        Ok(())
    }

    fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, bytes: u64) -> std::fmt::Result {
        let e = encoder.encode_descriptor(name, help, Some(&Unit::Bytes), MetricType::Gauge)?;
        ConstGauge::new(i64::try_from(bytes).unwrap_or(i64::MAX)).encode(e)
    }

    /// Reads `/proc/self/stat` (see proc_pid_stat(5)): `utime`, `stime`,
    /// `starttime` in clock ticks, `vsize` in bytes, `rss` in pages.
    pub(super) fn parse_stat(stat: &str, ticks_per_second: u64, page_size: u64) -> Option<Stat> {
        // The command name, in parentheses, may hold spaces and parentheses itself:
        // the fields are counted from after its last `)`, which is field 2.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
        let ticks = ticks_per_second.max(1) as f64;
        Some(Stat {
            cpu_seconds: (field(14)? + field(15)?) as f64 / ticks,
            start_seconds: field(22)? as f64 / ticks,
            virtual_bytes: field(23)?,
            resident_bytes: field(24)?.saturating_mul(page_size),
        })
    }

    /// The `btime` line of `/proc/stat`: when the system booted, in seconds since
    /// the epoch.
    pub(super) fn boot_time(stat: &str) -> Option<u64> {
        stat.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::linux::{Stat, boot_time, parse_stat};

    #[test]
    fn a_command_name_with_spaces_and_parentheses_does_not_shift_the_fields() {
        let line = "4242 (kanban (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 \
                    12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 17664 0 0 0 17 1 0 0 0 0 0";
        let stat = parse_stat(line, 100, 4096).unwrap();
        assert_eq!(
            stat,
            Stat {
                cpu_seconds: 3.0,
                resident_bytes: 2560 * 4096,
                virtual_bytes: 104_857_600,
                start_seconds: 123.45
            }
        );
        assert_eq!(parse_stat("4242 (truncated", 100, 4096), None);
    }

    #[test]
    fn boot_time_is_read_from_its_line() {
        assert_eq!(boot_time("cpu  1 2 3\nbtime 1700000000\nprocesses 9\n"), Some(1_700_000_000));
        assert_eq!(boot_time("cpu  1 2 3\n"), None);
    }
}
