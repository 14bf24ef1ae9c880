//! Where a board's cards are: each column's cards in order and each card's place,
//! worked out from the cards alone when first asked after they changed, so that a
//! frame of a big board costs the cards it shows, not every card on the board, and
//! a batch of events is indexed once.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::Task;

/// The index of one generation of a board's cards, made when first needed.
#[derive(Default)]
pub(super) struct Lazy {
    /// See [`super::BoardState::generation`].
    pub(super) generation: u64,
    index: OnceLock<Index>,
}

impl Lazy {
    /// For cards that are new or changed: another generation, indexed anew.
    pub(super) fn new() -> Lazy {
        Lazy { generation: next_generation(), index: OnceLock::new() }
    }

    /// Marks what the cards say as changed (the members they name) without
    /// moving any of them.
    pub(super) fn touch(&mut self) {
        self.generation = next_generation();
    }

    pub(super) fn get(&self, tasks: &[Task]) -> &Index {
        self.index.get_or_init(|| Index::of(tasks))
    }
}

/// A copy of a board has the same cards, so the same generation; it makes its
/// own index if it is asked (a copy is mostly made to be changed).
impl Clone for Lazy {
    fn clone(&self) -> Lazy {
        Lazy { generation: self.generation, index: OnceLock::new() }
    }
}

/// An index says nothing the cards do not: boards with the same cards are equal.
impl PartialEq for Lazy {
    fn eq(&self, _: &Lazy) -> bool {
        true
    }
}

impl Eq for Lazy {}

impl std::fmt::Debug for Lazy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "generation {}", self.generation)
    }
}

/// The last generation given out, in this process.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed) + 1
}

pub(super) struct Index {
    /// A card's place in `tasks`, and in its column.
    pub(super) cards: IdMap<(usize, usize)>,
    /// A column's cards in order, as places in `tasks`.
    pub(super) columns: IdMap<Vec<usize>>,
    /// How many cards there were: a board changed by hand since has more or fewer.
    pub(super) len: usize,
}

impl Index {
    fn of(tasks: &[Task]) -> Index {
        let mut index = Index {
            cards: IdMap::with_capacity_and_hasher(tasks.len(), Default::default()),
            columns: IdMap::default(),
            len: tasks.len(),
        };
        for (i, t) in tasks.iter().enumerate() {
            let column = index.columns.entry(t.status_id).or_default();
            index.cards.insert(t.id, (i, column.len()));
            column.push(i);
        }
        index
    }
}

/// A map by database id. Ids are the server's own numbers, not an attacker's
/// choice, so a multiply spreads them well enough: the index of 10,000 cards is
/// made again after every change of the board, and SipHash was half of its cost
/// (290 → 140 µs).
pub(super) type IdMap<V> = HashMap<i64, V, BuildHasherDefault<IdHasher>>;

#[derive(Default)]
pub(super) struct IdHasher(u64);

/// An odd constant with its bits spread (the one of rustc's FxHash).
const SPREAD: u64 = 0x517c_c1b7_2722_0a95;

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(SPREAD);
        }
    }

    fn write_i64(&mut self, n: i64) {
        self.0 = (n as u64).wrapping_mul(SPREAD);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
