//! Who a database is: the cluster its servers form, and the epoch of its history.
//!
//! Both are made by the first server to open the database. Servers sharing a
//! broker join only the traffic of their database's cluster, so a copy of the
//! database (a staging site restored from production's dump) cannot join the
//! cluster it was copied from. The epoch is what clients hold beside a board's
//! revision: a history that may have been rewound (a restore) gets a new one, and
//! a client whose epoch is not the server's fetches its board afresh instead of
//! trusting revisions of another history.
//!
//! A database takes a new identity when it is opened as a copy: a backup's copy
//! carries a mark (`copy`), and a PostgreSQL dump restored into another database,
//! schema or server finds its recorded home different. `kanban-server cluster
//! new-id` does the same by hand, after a restore no mark tells of.

/// A database's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The cluster its servers form: part of the broker subject they share, and
    /// named in every message between them.
    pub cluster: u64,
    /// Its history's epoch.
    pub epoch: u64,
}

impl Site {
    /// A new identity.
    pub fn fresh() -> Site {
        Site { cluster: id(), epoch: id() }
    }

    /// The cluster id as logs and broker subjects write it.
    pub fn cluster_name(&self) -> String {
        format!("{:014x}", self.cluster)
    }
}

/// A random id that a JSON reader in any language holds exactly (53 bits), never 0.
fn id() -> u64 {
    (rand::random::<u64>() >> 11).max(1)
}

/// Why an opened database took a new identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// It had none: a new database.
    First,
    /// It is a backup's copy.
    Copy,
    /// It was made elsewhere (a dump restored into another database).
    Moved,
    /// An operator asked (`cluster new-id`).
    Asked,
}

/// What the stored row says: its identity, its recorded home, and the copy mark.
pub struct Stored {
    pub site: Site,
    pub home: String,
    pub copy: bool,
}

/// The identity a database opened at `home` has: the stored one, or a new one and
/// why. An empty `home` is one that cannot be told (SQLite's file, which a copy
/// keeps whole): only the mark counts there.
pub fn settle(stored: Option<Stored>, home: &str) -> (Site, Option<Renewal>) {
    match stored {
        None => (Site::fresh(), Some(Renewal::First)),
        Some(s) if s.copy => (Site::fresh(), Some(Renewal::Copy)),
        Some(s) if !s.home.is_empty() && !home.is_empty() && !same_home(&s.home, home) => {
            (Site::fresh(), Some(Renewal::Moved))
        }
        Some(s) => (s.site, None),
    }
}

/// Whether two homes (`system/database/schema`) are one place. A node whose role
/// may not read the system's identifier has none: the rest is compared then, so
/// that nodes of one database never disagree over whether it moved.
fn same_home(a: &str, b: &str) -> bool {
    let (system_a, rest_a) = a.split_once('/').unwrap_or(("", a));
    let (system_b, rest_b) = b.split_once('/').unwrap_or(("", b));
    rest_a == rest_b && (system_a.is_empty() || system_b.is_empty() || system_a == system_b)
}

/// Says in the log what identity a database took, and why.
pub fn announce(site: &Site, renewal: Renewal) {
    let cluster = site.cluster_name();
    match renewal {
        Renewal::First => tracing::info!(%cluster, epoch = site.epoch, "a new database: its cluster id made"),
        Renewal::Copy => tracing::warn!(
            %cluster,
            epoch = site.epoch,
            "this database is a backup's copy: it is a cluster of its own now, and clients fetch their boards afresh"
        ),
        Renewal::Moved => tracing::warn!(
            %cluster,
            epoch = site.epoch,
            "this database was made elsewhere (a restored dump): it is a cluster of its own now, and clients fetch their boards afresh"
        ),
        Renewal::Asked => tracing::warn!(%cluster, epoch = site.epoch, "a new cluster id and epoch"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(home: &str, copy: bool) -> Stored {
        Stored { site: Site { cluster: 7, epoch: 9 }, home: home.into(), copy }
    }

    #[test]
    fn a_copy_or_a_database_made_elsewhere_takes_a_new_identity() {
        let same = Site { cluster: 7, epoch: 9 };
        assert_eq!(settle(Some(stored("a", false)), "a"), (same, None));
        assert_eq!(settle(Some(stored("", false)), ""), (same, None), "SQLite: the mark alone counts");
        assert_eq!(settle(Some(stored("", false)), "a"), (same, None), "a home recorded only now");
        let here = "7716/16386/site";
        assert_eq!(
            settle(Some(stored(here, false)), "/16386/site"),
            (same, None),
            "a node that cannot read the system"
        );
        assert_eq!(settle(Some(stored("/16386/site", false)), here), (same, None));
        for (found, why) in [
            (settle(None, "a"), Renewal::First),
            (settle(Some(stored("a", true)), "a"), Renewal::Copy),
            (settle(Some(stored("a", false)), "b"), Renewal::Moved),
            (settle(Some(stored("7716/16386/site", false)), "9999/16386/site"), Renewal::Moved),
            (settle(Some(stored("7716/16386/site", false)), "/16387/site"), Renewal::Moved),
        ] {
            assert_eq!(found.1, Some(why));
            assert!(found.0.cluster != 7 && found.0.epoch != 9);
        }
    }

    #[test]
    fn ids_fit_a_json_number_and_are_never_zero() {
        for _ in 0..1000 {
            let site = Site::fresh();
            assert!(site.cluster > 0 && site.cluster < 1 << 53);
            assert!(site.epoch > 0 && site.epoch < 1 << 53);
        }
    }
}
