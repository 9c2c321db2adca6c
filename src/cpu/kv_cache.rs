//! The decoder's self-attention keys and values in f32 buffers, one per step: a step adds its keys
//! and values as they come, and reordering rows (beams, finished inputs) reorders a table of where
//! each row's positions are, copying no keys or values. (Rows stored contiguously, position after
//! position, had to be copied when beams changed places: 4% of a beam search's time at two threads,
//! a copy that hardly runs faster on two threads.)

use super::attention::StepKeysValues;

/// Keys and values, step by step `[rows at that step, heads, head_dim]`, and for each row now, the row
/// of each step that holds its position there.
pub(crate) struct KeyValueBuffers {
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
    /// `[rows, len]`: row `r`'s position `p` is row `origins[r * len + p]` of step `p`'s buffers.
    origins: Vec<u32>,
    rows: usize,
    heads: usize,
    head_dim: usize,
}

impl KeyValueBuffers {
    /// Empty buffers for `rows` rows of `heads` heads of `head_dim` values; the first `append` sets
    /// the first position.
    pub(crate) fn new(rows: usize, heads: usize, head_dim: usize) -> Self {
        KeyValueBuffers { keys: Vec::new(), values: Vec::new(), origins: Vec::new(), rows, heads, head_dim }
    }

    /// The filled part, for attention.
    pub(crate) fn view(&self) -> StepKeysValues<'_> {
        StepKeysValues {
            keys: &self.keys,
            values: &self.values,
            origins: &self.origins,
            rows: self.rows,
            len: self.keys.len(),
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
        let len = self.keys.len();
        let mut origins = Vec::with_capacity(new_rows * (len + 1));
        for row in 0..new_rows {
            let source = rows.map_or(row, |rows| rows[row] as usize);
            origins.extend_from_slice(&self.origins[source * len..][..len]);
            origins.push(row as u32);
        }
        self.origins = origins;
        self.keys.push(keys.to_vec());
        self.values.push(values.to_vec());
        self.rows = new_rows;
        Ok(())
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
        let steps = if keys { view.keys } else { view.values };
        let (heads, dim) = (buffers.heads, buffers.head_dim);
        let mut out = Vec::new();
        for row in 0..view.rows {
            for head in 0..heads {
                for (position, step) in steps.iter().enumerate() {
                    let origin = view.origins[row * view.len + position] as usize;
                    out.extend_from_slice(&step[(origin * heads + head) * dim..][..dim]);
                }
            }
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
    fn step_cache_matches_select_and_append() {
        let (heads, dim) = (3, 16);
        // Reorders with cycles, swaps, duplicates, rows dropped (finished inputs) and none, over 40
        // steps.
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
            // More rows than before (a row repeated).
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
        assert!(rows_grew, "the reorders include one to more rows");
    }

    #[test]
    fn step_cache_rejects_rows_out_of_range() {
        let keys = step_values(0, 2, 1, 16);
        let mut buffers = KeyValueBuffers::new(2, 1, 16);
        buffers.append(None, &keys, &keys).unwrap();
        assert!(buffers.append(Some(&[0, 2]), &keys, &keys).is_err());
        assert!(buffers.append(None, &step_values(1, 3, 1, 16), &step_values(1, 3, 1, 16)).is_err());
        assert!(buffers.append(None, &keys[..5], &keys[..5]).is_err());
    }
}
