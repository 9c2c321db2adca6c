//! Sinusoidal position embeddings, in the two layouts the families use.

use candle_core::{DType, Device, Result, Tensor};

/// Which sinusoidal table a family uses, and how positions are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PositionKind {
    /// Marian: positions from 0; the table computed in f64 (numpy) and rounded once, sin features in
    /// the first half, cos in the second.
    Marian,
    /// fairseq (M2M100, NLLB, IndicTrans2): positions counted from `padding + 1` over the non-padding
    /// tokens, padding at row `padding` (zeros); the table rounded as `transformers` computes it in f32.
    Fairseq { padding: u32 },
}

/// A position table and how to index it.
pub(crate) struct Positions {
    table: Tensor,
    kind: PositionKind,
}

impl Positions {
    /// The table for `max_positions` positions of width `dim`, in `dtype` on `device`. Callers check
    /// that the sizes are sane (see `config`): the table has `max_positions` rows (plus the padding
    /// offset for fairseq).
    pub(crate) fn new(
        kind: PositionKind,
        max_positions: usize,
        dim: usize,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let table = match kind {
            PositionKind::Marian => marian_table(max_positions, dim, device)?,
            PositionKind::Fairseq { padding } => {
                let rows = max_positions + padding as usize + 2;
                fairseq_table(rows, dim, padding as usize, device)?
            }
        };
        Ok(Positions { table: table.to_dtype(dtype)?, kind })
    }

    /// The position embeddings of right-padded `input_ids` (`[batch, len]`), to add to their token
    /// embeddings: `[len, dim]` (the same for every row) or `[batch, len, dim]`.
    pub(crate) fn for_inputs(&self, input_ids: &Tensor) -> Result<Tensor> {
        let (batch, len) = input_ids.dims2()?;
        match self.kind {
            PositionKind::Marian => self.table.narrow(0, 0, len),
            PositionKind::Fairseq { padding } => {
                let rows: Vec<u32> = input_ids
                    .to_vec2::<u32>()?
                    .iter()
                    .flat_map(|ids| fairseq_positions(ids, 0, padding))
                    .collect();
                let position_ids = Tensor::from_vec(rows, batch * len, self.table.device())?;
                self.table.index_select(&position_ids, 0)?.reshape((batch, len, ()))
            }
        }
    }

    /// The position embeddings of a decoding step's `tokens` (`[rows]`) at position `step`: `[1, dim]`
    /// or `[rows, dim]`.
    pub(crate) fn for_step(&self, tokens: &Tensor, step: usize) -> Result<Tensor> {
        match self.kind {
            PositionKind::Marian => self.table.narrow(0, step, 1),
            PositionKind::Fairseq { padding } => {
                let position_ids: Vec<u32> = tokens
                    .to_vec1::<u32>()?
                    .iter()
                    .map(|&t| fairseq_positions(&[t], step, padding)[0])
                    .collect();
                self.table.index_select(&Tensor::new(position_ids.as_slice(), self.table.device())?, 0)
            }
        }
    }
}

/// Position rows for `ids` (one sequence): padding gets `padding`, the others `padding + 1 + count of
/// non-padding tokens before them + offset` (fairseq's `make_positions`).
fn fairseq_positions(ids: &[u32], offset: usize, padding: u32) -> Vec<u32> {
    let mut count = offset as u32;
    ids.iter()
        .map(|&id| {
            if id == padding {
                padding
            } else {
                count += 1;
                padding + count
            }
        })
        .collect()
}

/// Marian's sinusoidal table `[positions, dim]`, sin features in the first half and cos in the second.
/// Computed in f64 like `transformers` (numpy) and rounded to f32 once.
fn marian_table(positions: usize, dim: usize, device: &Device) -> Result<Tensor> {
    let half = dim.div_ceil(2);
    let mut table = vec![0f32; positions * dim];
    for pos in 0..positions {
        let row = &mut table[pos * dim..(pos + 1) * dim];
        for j in 0..dim {
            let angle = pos as f64 / 10000f64.powf(2.0 * (j / 2) as f64 / dim as f64);
            // Even j feed the sin half, odd j the cos half (numpy's [0::2] and [1::2]).
            if j % 2 == 0 {
                row[j / 2] = angle.sin() as f32;
            } else {
                row[half + j / 2] = angle.cos() as f32;
            }
        }
    }
    Tensor::from_vec(table, (positions, dim), device)
}

/// fairseq's sinusoidal table (sin half, cos half), rounded as `transformers` computes it in f32:
/// frequencies `exp(k * -ln(10000) / (half - 1))`, angles `position * frequency`, both rounded to f32
/// before the sine and cosine; the padding row is zero.
fn fairseq_table(rows: usize, dim: usize, padding: usize, device: &Device) -> Result<Tensor> {
    let half = dim / 2;
    let step = -((10000f64).ln() / (half as f64 - 1.0)) as f32;
    let frequencies: Vec<f32> = (0..half).map(|k| ((k as f32 * step) as f64).exp() as f32).collect();
    let mut table = vec![0f32; rows * dim];
    for position in 0..rows {
        if position == padding {
            continue;
        }
        let row = &mut table[position * dim..(position + 1) * dim];
        for (k, &frequency) in frequencies.iter().enumerate() {
            let angle = f64::from(position as f32 * frequency);
            row[k] = angle.sin() as f32;
            row[half + k] = angle.cos() as f32;
        }
    }
    Tensor::from_vec(table, (rows, dim), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fairseq_padding_row_is_zero_and_others_are_not() {
        let table = fairseq_table(6, 4, 1, &Device::Cpu).unwrap().to_vec2::<f32>().unwrap();
        assert!(table[1].iter().all(|&v| v == 0.0));
        assert_eq!(table[0], vec![0.0, 0.0, 1.0, 1.0]);
        assert!(table[2].iter().any(|&v| v != 0.0));
    }

    #[test]
    fn fairseq_positions_skip_padding() {
        assert_eq!(fairseq_positions(&[5, 6, 1, 1], 0, 1), vec![2, 3, 1, 1]);
        assert_eq!(fairseq_positions(&[7], 3, 1), vec![5]);
    }
}
