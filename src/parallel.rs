//! Rendering and parsing thousands of scripts is independent work per table: spread it over the
//! machine's cores, keeping the results in input order so output stays deterministic.

use std::num::NonZeroUsize;

/// `f` applied to every item, on up to one thread per core, results in the items' order.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    // Small inputs are not worth a thread.
    if threads == 1 || items.len() < 16 {
        return items
            .iter()
            .enumerate()
            .map(|(i, item)| f(i, item))
            .collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let f = &f;
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, item)| f(c * chunk + i, item))
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_and_indices() {
        let items: Vec<u32> = (0..1000).collect();
        let out = super::map(&items, |i, x| (i, x * 2));
        assert!(out
            .iter()
            .enumerate()
            .all(|(i, &(j, y))| i == j && y == 2 * i as u32));
    }
}
