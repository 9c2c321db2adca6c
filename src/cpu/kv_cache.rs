//! The decoder's self-attention keys and values in f32 buffers with room to grow: a step writes its
//! keys and values in place, with no copy of what is cached; reordering rows (beams, finished inputs)
//! copies only the rows that change.

use rayon::prelude::*;

use super::attention::KeysValues;
use super::parallel::SharedOut;

/// Positions a cache grows by when full: small steps keep the unused room (memory) low; each growth
/// copies the cache once.
const CACHE_GROWTH: usize = 16;

/// Elements from one (row, head) of a cache to the next: room for `capacity` positions and one
/// cache line more, so that the (row, head) blocks do not all start at multiples of 4 KiB, which
/// share cache sets (a precaution: no difference was measurable on the benchmark).
fn stride_for(capacity: usize, head_dim: usize) -> usize {
    capacity * head_dim + 16
}

/// Keys and values `[rows, heads, capacity, head_dim]`, of which the first `len` positions are
/// filled. Only growing (every [`CACHE_GROWTH`] positions) allocates and copies everything.
pub(crate) struct KeyValueBuffers {
    keys: Vec<f32>,
    values: Vec<f32>,
    spare_keys: Vec<f32>,
    spare_values: Vec<f32>,
    rows: usize,
    heads: usize,
    head_dim: usize,
    len: usize,
    capacity: usize,
}

impl KeyValueBuffers {
    /// Empty buffers for `rows` rows of `heads` heads of `head_dim` values; the first `append` sets
    /// the first position.
    pub(crate) fn new(rows: usize, heads: usize, head_dim: usize) -> Self {
        KeyValueBuffers {
            keys: Vec::new(),
            values: Vec::new(),
            spare_keys: Vec::new(),
            spare_values: Vec::new(),
            rows,
            heads,
            head_dim,
            len: 0,
            capacity: 0,
        }
    }

    /// Elements from one (row, head) to the next.
    fn stride(&self) -> usize {
        stride_for(self.capacity, self.head_dim)
    }

    /// The filled part, for attention.
    pub(crate) fn view(&self) -> KeysValues<'_> {
        KeysValues {
            keys: &self.keys,
            values: &self.values,
            batch: self.rows,
            len: self.len,
            stride: self.stride(),
        }
    }

    /// Keeps rows `rows` (all, in order, when `None`) and appends one position: `keys`/`values`
    /// `[new rows, heads, head_dim]` (as many rows as `rows` names, or as the cache has).
    pub(crate) fn append(
        &mut self,
        rows: Option<&[u32]>,
        keys: &[f32],
        values: &[f32],
    ) -> Result<(), String> {
        let per_row = self.heads * self.head_dim;
        if per_row == 0 || !keys.len().is_multiple_of(per_row) || values.len() != keys.len() {
            return Err(format!(
                "self-attention cache: {} keys and {} values for rows of {per_row}",
                keys.len(),
                values.len()
            ));
        }
        let new_rows = keys.len() / per_row;
        match rows {
            Some(rows) if rows.len() != new_rows || rows.iter().any(|&row| row as usize >= self.rows) => {
                return Err(format!(
                    "self-attention cache: rows {rows:?} of {} for {new_rows} rows",
                    self.rows
                ));
            }
            None if new_rows != self.rows => {
                return Err(format!("self-attention cache: {new_rows} rows for a cache of {}", self.rows));
            }
            _ => {}
        }
        if self.len == self.capacity {
            self.regather(rows, new_rows, self.capacity + CACHE_GROWTH);
        } else if new_rows > self.rows {
            // More rows than the buffers hold (rows repeated): no room to reorder in place.
            self.regather(rows, new_rows, self.capacity);
        } else if let Some(rows) = rows {
            self.reorder_in_place(rows);
        }
        let (stride, position) = (self.stride(), self.len * self.head_dim);
        let write = |cache: &mut [f32], new: &[f32]| {
            for (pair, new) in new.chunks_exact(self.head_dim).enumerate() {
                cache[pair * stride + position..][..self.head_dim].copy_from_slice(new);
            }
        };
        write(&mut self.keys, keys);
        write(&mut self.values, values);
        self.len += 1;
        Ok(())
    }

    /// Copies rows `sources` (all, in order, when `None`) into new buffers of `capacity` positions
    /// per (row, head), which replace the current ones.
    fn regather(&mut self, sources: Option<&[u32]>, rows: usize, capacity: usize) {
        let (heads, dim, len) = (self.heads, self.head_dim, self.len);
        let (old_stride, stride) = (self.stride(), stride_for(capacity, dim));
        let block = heads * stride;
        // Room beyond the filled positions is never read before it is written: zeros are only
        // the cheapest initialisation.
        let (mut keys, mut values) = (vec![0f32; rows * block], vec![0f32; rows * block]);
        if len > 0 {
            let (old_keys, old_values) = (&self.keys, &self.values);
            keys.par_chunks_mut(block)
                .zip(values.par_chunks_mut(block))
                .enumerate()
                .with_min_len(4)
                .for_each(|(row, (out_keys, out_values))| {
                    let source = sources.map_or(row, |sources| sources[row] as usize);
                    for head in 0..heads {
                        let from = (source * heads + head) * old_stride;
                        out_keys[head * stride..][..len * dim]
                            .copy_from_slice(&old_keys[from..][..len * dim]);
                        out_values[head * stride..][..len * dim]
                            .copy_from_slice(&old_values[from..][..len * dim]);
                    }
                });
        }
        (self.keys, self.values) = (keys, values);
        (self.spare_keys, self.spare_values) = (Vec::new(), Vec::new());
        (self.rows, self.capacity) = (rows, capacity);
    }

    /// Keeps rows `sources` (indices of current rows, in order; at most as many as the rows) by
    /// copying only the rows that change: beams mostly continue their own row. Rows that are read
    /// by another row and overwritten themselves are first set aside in the spare buffers.
    fn reorder_in_place(&mut self, sources: &[u32]) {
        let (heads, dim, len) = (self.heads, self.head_dim, self.len);
        let block = heads * self.stride();
        let new_rows = sources.len();
        let moves = |row: usize| sources[row] as usize != row;
        // Where each set-aside row went in the spare buffers.
        let mut set_aside = vec![usize::MAX; self.rows];
        let mut aside = Vec::new();
        for (row, &source) in sources.iter().enumerate() {
            let source = source as usize;
            if source != row && source < new_rows && moves(source) && set_aside[source] == usize::MAX {
                set_aside[source] = aside.len();
                aside.push(source);
            }
        }
        let (stride, count) = (self.stride(), len * dim);
        for (spare, cache) in [(&mut self.spare_keys, &self.keys), (&mut self.spare_values, &self.values)] {
            spare.resize(aside.len() * block, 0.0);
            spare.par_chunks_mut(block.max(1)).zip(&aside).for_each(|(out, &row)| {
                for head in 0..heads {
                    out[head * stride..][..count]
                        .copy_from_slice(&cache[row * block + head * stride..][..count]);
                }
            });
        }
        let moved: Vec<usize> = (0..new_rows).filter(|&row| moves(row)).collect();
        for (cache, spare) in [(&mut self.keys, &self.spare_keys), (&mut self.values, &self.spare_values)] {
            let base = SharedOut::new(cache);
            moved.par_iter().with_min_len(4).for_each(|&row| {
                let source = sources[row] as usize;
                for head in 0..heads {
                    // SAFETY: each moved row is written by one task only; a source is either set
                    // aside (read from the spare buffers) or a row that no task writes (it does not
                    // move, or it is beyond the rows kept), so no read overlaps a write; all ranges
                    // lie within the cache (rows < self.rows) or the spare buffers.
                    unsafe {
                        let from = match set_aside[source] {
                            usize::MAX => base.ptr().add(source * block + head * stride) as *const f32,
                            slot => spare[slot * block + head * stride..][..count].as_ptr(),
                        };
                        std::ptr::copy_nonoverlapping(
                            from,
                            base.ptr().add(row * block + head * stride),
                            count,
                        );
                    }
                }
            });
        }
        self.keys.truncate(new_rows * block);
        self.values.truncate(new_rows * block);
        self.rows = new_rows;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step's keys or values `[rows, heads, dim]` with values unique to (step, row, element).
    fn step_values(step: usize, rows: usize, heads: usize, dim: usize) -> Vec<f32> {
        (0..rows * heads * dim)
            .map(|i| (step * 100_000 + i) as f32 + if step.is_multiple_of(2) { 0.5 } else { 0.0 })
            .collect()
    }

    /// The cache's filled part as `[rows, heads, len, dim]` values.
    fn contents(buffers: &KeyValueBuffers, keys: bool) -> Vec<f32> {
        let view = buffers.view();
        let data = if keys { view.keys } else { view.values };
        let mut out = Vec::new();
        for pair in 0..buffers.rows * buffers.heads {
            out.extend_from_slice(&data[pair * view.stride..][..view.len * buffers.head_dim]);
        }
        out
    }

    /// What the cache should hold: per row, per head, the positions' values in order; a reorder
    /// selects rows, an append pushes one position.
    struct Reference(Vec<Vec<Vec<f32>>>);

    impl Reference {
        fn step(&mut self, rows: Option<&[u32]>, new: &[f32], heads: usize, dim: usize) {
            if let Some(rows) = rows {
                self.0 = rows.iter().map(|&row| self.0[row as usize].clone()).collect();
            }
            for (row, cache) in self.0.iter_mut().enumerate() {
                for (head, cache) in cache.iter_mut().enumerate() {
                    cache.extend_from_slice(&new[(row * heads + head) * dim..][..dim]);
                }
            }
        }

        fn flat(&self) -> Vec<f32> {
            self.0.iter().flatten().flatten().copied().collect()
        }
    }

    #[test]
    fn in_place_cache_matches_select_and_append() {
        let (heads, dim) = (3, 16);
        // Reorders with cycles, swaps, duplicates, rows dropped (finished inputs) and none; enough
        // steps to grow past the first capacity twice.
        let reorders: Vec<Option<Vec<u32>>> = vec![
            None,
            Some(vec![1, 0, 3, 2, 4, 5]),
            Some(vec![0, 0, 1, 1, 5, 4]),
            Some(vec![2, 3, 4, 5, 0, 1]),
            None,
            Some(vec![5, 4, 3, 2, 1, 0]),
            Some(vec![0, 1, 2, 3, 4, 5]),
            Some(vec![4, 4, 4, 1, 0, 2]),
            Some(vec![1, 2, 3, 5]),
            Some(vec![3, 2, 1, 0]),
            Some(vec![0, 3]),
            // More rows than before (a row repeated): not in place.
            Some(vec![1, 1, 0, 0, 1]),
        ];
        let mut rows = 6;
        let mut buffers = KeyValueBuffers::new(rows, heads, dim);
        let (mut want_keys, mut want_values) =
            (Reference(vec![vec![Vec::new(); heads]; rows]), Reference(vec![vec![Vec::new(); heads]; rows]));
        let mut rows_grew = false;
        for step in 0..40 {
            let reorder = reorders[step % reorders.len()]
                .clone()
                .filter(|order| step > 0 && order.iter().all(|&r| (r as usize) < rows));
            let new_rows = reorder.as_ref().map_or(rows, Vec::len);
            rows_grew |= new_rows > rows;
            let keys = step_values(step, new_rows, heads, dim);
            let values: Vec<f32> = keys.iter().map(|k| -k).collect();
            buffers.append(reorder.as_deref(), &keys, &values).unwrap();
            want_keys.step(reorder.as_deref(), &keys, heads, dim);
            want_values.step(reorder.as_deref(), &values, heads, dim);
            rows = new_rows;
            assert_eq!(contents(&buffers, true), want_keys.flat(), "keys, step {step}");
            assert_eq!(contents(&buffers, false), want_values.flat(), "values, step {step}");
        }
        assert!(buffers.capacity >= 40 && buffers.capacity < 40 + CACHE_GROWTH);
        assert!(rows_grew, "the reorders include one to more rows");
    }

    #[test]
    fn in_place_cache_rejects_rows_out_of_range() {
        let keys = step_values(0, 2, 1, 16);
        let mut buffers = KeyValueBuffers::new(2, 1, 16);
        buffers.append(None, &keys, &keys).unwrap();
        assert!(buffers.append(Some(&[0, 2]), &keys, &keys).is_err());
        assert!(buffers.append(None, &step_values(1, 3, 1, 16), &step_values(1, 3, 1, 16)).is_err());
        assert!(buffers.append(None, &keys[..5], &keys[..5]).is_err());
    }
}
