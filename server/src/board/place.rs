//! Where an item goes in its list: an order key between its new neighbours, or,
//! when that key would be too long, fresh short keys for the whole list.

use kanban_protocol::model::Rekeyed;
use kanban_protocol::order;

use super::OpError;
use super::storage::{BoardTx, List};

/// Where a placed item goes: its key, and the other items of its list that had to
/// take new keys to make room (in the list's order, which is unchanged).
#[derive(Debug, Default)]
pub struct Placement {
    pub key: String,
    pub rekeyed: Vec<Rekeyed>,
}

/// The order key for an item placed right after `after_id` and/or right before
/// `before_id` (at the end when neither is given). `moving` is the item itself when
/// it is already in the list; it does not count as a neighbour. A key longer than
/// [`order::LONGEST`] re-spaces the list instead: the others' new keys are written
/// (their versions stay: their content did not change), and answered.
pub fn place(
    tx: &mut dyn BoardTx,
    list: List,
    before_id: Option<i64>,
    after_id: Option<i64>,
    moving: Option<i64>,
) -> Result<Placement, OpError> {
    let what = match list {
        List::Column(_) => "card",
        List::Columns(_) => "column",
        List::Checklist(_) => "item",
    };
    let moving = moving.unwrap_or(0);
    let key_of = |tx: &mut dyn BoardTx, id: i64| -> Result<String, OpError> {
        tx.key_of(list, id)?.filter(|_| id != moving).ok_or_else(|| {
            OpError::Invalid(format!("{what} {id} is not in that list (or is the one being placed)"))
        })
    };
    let (low, high) = match (after_id, before_id) {
        (Some(a), Some(b)) => {
            let (low, high) = (key_of(tx, a)?, key_of(tx, b)?);
            if low >= high {
                return Err(OpError::Invalid(format!("{what} {a} does not come before {what} {b}")));
            }
            (Some(low), Some(high))
        }
        (Some(a), None) => {
            let low = key_of(tx, a)?;
            let high = tx.key_above(list, &low, moving)?;
            (Some(low), high)
        }
        (None, Some(b)) => {
            let high = key_of(tx, b)?;
            (tx.key_below(list, &high, moving)?, Some(high))
        }
        (None, None) => (tx.last_key(list, moving)?, None),
    };
    let key = order::between(low.as_deref(), high.as_deref());
    if key.len() <= order::LONGEST {
        return Ok(Placement { key, rekeyed: Vec::new() });
    }
    respace(tx, list, low.as_deref(), moving)
}

/// Keys a re-spaced stretch takes at most: half the longest, so that many
/// placements fit into the stretch again before it must be re-spaced.
const RESPACED: usize = order::LONGEST / 2;

/// Gives the items around the new one's place fresh, evenly spread keys, with room
/// for it right after the item keyed `low` (at the start when `None`); answers the
/// new item's key and the others'. The stretch starts as the neighbours and doubles
/// until its keys fit in [`RESPACED`] characters between the keys around it (at
/// worst the whole list), so a long list is rewritten only where it is crowded.
fn respace(tx: &mut dyn BoardTx, list: List, low: Option<&str>, moving: i64) -> Result<Placement, OpError> {
    let items = tx.keys(list, moving)?;
    let at = low.map_or(0, |low| items.iter().take_while(|(_, k)| k.as_str() <= low).count());
    let mut reach = 1;
    loop {
        let (start, end) = (at.saturating_sub(reach), (at + reach).min(items.len()));
        let whole = start == 0 && end == items.len();
        let lo = start.checked_sub(1).map(|i| items[i].1.as_str());
        let hi = items.get(end).map(|(_, k)| k.as_str());
        let count = end - start + 1;
        let keys =
            order::spread_between(lo, hi, count, RESPACED).or_else(|| whole.then(|| order::spread(count)));
        if let Some(mut keys) = keys {
            let key = keys.remove(at - start);
            let mut rekeyed = Vec::new();
            for ((id, old), new) in items[start..end].iter().zip(keys) {
                if *old != new {
                    tx.set_key(list, *id, &new)?;
                    rekeyed.push(Rekeyed { id: *id, position: new });
                }
            }
            return Ok(Placement { key, rekeyed });
        }
        reach *= 2;
    }
}

/// The key for an item coming back into `list` (from the trash) with its old
/// `key`: that key when it is still free, which puts it back between the items it
/// was between; when another item took it meanwhile (one placed between the same
/// neighbours gets the same midpoint), a fresh key right after that one, since two
/// items under one key could not have anything placed between them.
pub fn place_again(tx: &mut dyn BoardTx, list: List, key: &str) -> Result<Placement, OpError> {
    let holder = tx.keys(list, 0)?.into_iter().find(|(_, k)| k == key).map(|(id, _)| id);
    match holder {
        None => Ok(Placement { key: key.to_owned(), rekeyed: Vec::new() }),
        Some(holder) => place(tx, list, None, Some(holder), None),
    }
}
