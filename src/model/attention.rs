//! Multi-head attention with query, key, value and output projections (`q_proj`, `k_proj`, `v_proj`,
//! `out_proj`, all with bias), as in the BART family.

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

use crate::ops::attention::{attention, split_heads_at};
use crate::ops::cache::SelfAttentionCache;
use crate::ops::linear::Linear;
use crate::ops::PackedFormat;

/// Multi-head attention: self-attention (`forward` over a whole sequence, `step` through a cache) or
/// cross-attention (`cross` over keys and values computed once by `cross_keys_values`).
pub(crate) struct Attention {
    projections: Projections,
    out_proj: Linear,
    heads: usize,
    head_dim: usize,
    scaling: f64,
}

/// The query, key and value projections.
// One per attention layer, made once at load time: the size difference costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
enum Projections {
    Separate {
        q_proj: Linear,
        k_proj: Linear,
        v_proj: Linear,
    },
    /// Self-attention with packed weights: the three weights side by side (`[.., 3 * d_model]` out),
    /// one product where there were three (one pass over the input, one hand-off to the threads, and a
    /// wider product that runs nearer the kernel's peak). Each output column is computed as in its
    /// own product, so the values are the same.
    Fused(Linear),
}

/// A linear layer's `weight` (`[out, in]`) and `bias` under `vb`.
fn linear(vb: &VarBuilder, d_model: usize, packing: Option<PackedFormat>) -> Result<Linear> {
    Linear::new(vb.get((d_model, d_model), "weight")?, vb.get(d_model, "bias")?, packing)
}

impl Attention {
    /// Attention whose keys and values come from elsewhere (cross-attention): separate projections.
    pub(crate) fn new_cross(
        d_model: usize,
        heads: usize,
        vb: VarBuilder,
        packing: Option<PackedFormat>,
    ) -> Result<Self> {
        let projections = Projections::Separate {
            q_proj: linear(&vb.pp("q_proj"), d_model, packing)?,
            k_proj: linear(&vb.pp("k_proj"), d_model, packing)?,
            v_proj: linear(&vb.pp("v_proj"), d_model, packing)?,
        };
        Self::with_projections(projections, d_model, heads, vb, packing)
    }

    /// Self-attention: queries, keys and values always of the same input, so with packed weights the
    /// three projections are one product.
    pub(crate) fn new_self(
        d_model: usize,
        heads: usize,
        vb: VarBuilder,
        packing: Option<PackedFormat>,
    ) -> Result<Self> {
        // (Only for our kernel, where each column's sum is computed alike in any product; elsewhere
        // the matrix library might block a wider product differently.)
        if !packing.is_some_and(PackedFormat::supported) {
            return Self::new_cross(d_model, heads, vb, packing);
        }
        let parts = ["q_proj", "k_proj", "v_proj"];
        let weights = parts
            .iter()
            .map(|part| vb.pp(part).get((d_model, d_model), "weight"))
            .collect::<Result<Vec<_>>>()?;
        let biases = parts.iter().map(|part| vb.pp(part).get(d_model, "bias")).collect::<Result<Vec<_>>>()?;
        let fused = Linear::new(Tensor::cat(&weights, 0)?, Tensor::cat(&biases, 0)?, packing)?;
        Self::with_projections(Projections::Fused(fused), d_model, heads, vb, packing)
    }

    fn with_projections(
        projections: Projections,
        d_model: usize,
        heads: usize,
        vb: VarBuilder,
        packing: Option<PackedFormat>,
    ) -> Result<Self> {
        let head_dim = d_model / heads;
        Ok(Attention {
            projections,
            out_proj: linear(&vb.pp("out_proj"), d_model, packing)?,
            heads,
            head_dim,
            scaling: (head_dim as f64).powf(-0.5),
        })
    }

    /// Self-attention of `x` (`[batch, len, d_model]`) with an optional additive mask `[batch, 1, 1,
    /// len]`.
    pub(crate) fn forward(&self, x: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let (queries, keys, values) = self.project(x)?;
        self.output(&attention(&queries, &keys, &values, mask)?)
    }

    /// Self-attention of a decoding step's `x` (`[rows, 1, d_model]`): its keys and values appended to
    /// `cache`, then attended to with the ones before.
    pub(crate) fn step(&self, x: &Tensor, cache: &mut SelfAttentionCache) -> Result<Tensor> {
        let (queries, keys, values) = self.project(x)?;
        cache.append(keys, values)?;
        self.output(&cache.attend(&queries)?)
    }

    /// Cross-attention from `x` (`[batch, len, d_model]`) to `keys`/`values` (`[kv_batch, heads,
    /// kv_len, head_dim]`, from [`Attention::cross_keys_values`]), with an additive mask `[kv_batch,
    /// 1, 1, kv_len]`. `kv_batch` divides `batch`: rows `i * batch / kv_batch ..` share keys/values
    /// `i` (the beams of one input).
    pub(crate) fn cross(&self, x: &Tensor, keys: &Tensor, values: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let queries = match &self.projections {
            Projections::Separate { q_proj, .. } => {
                self.split_heads(&(q_proj.forward(x)? * self.scaling)?)?
            }
            Projections::Fused(_) => self.project(x)?.0,
        };
        self.output(&attention(&queries, keys, values, Some(mask))?)
    }

    /// The keys and values of `x` (`[batch, len, d_model]`, an encoder's output), split into heads,
    /// computed only where `attention_mask` (`[batch, len]`, 1 for tokens) has tokens, zeros at the
    /// padding: padded positions are never attended to (their weight is exactly 0), and a batch padded
    /// to its longest input spent up to half of these products there. Each row is projected on its own,
    /// so the tokens' keys and values are the same either way.
    pub(crate) fn cross_keys_values(&self, x: &Tensor, attention_mask: &Tensor) -> Result<(Tensor, Tensor)> {
        let (batch, len, d_model) = x.dims3()?;
        let tokens: Vec<u32> = attention_mask
            .flatten_all()?
            .to_vec1::<u32>()?
            .iter()
            .enumerate()
            .filter(|&(_, &is_token)| is_token != 0)
            .map(|(position, _)| position as u32)
            .collect();
        let rows = x.reshape((batch * len, d_model))?;
        // (No tokens at all: every position, all masked anyway.)
        let (rows, positions) = if tokens.len() == batch * len || tokens.is_empty() {
            (rows, (0..(batch * len) as u32).collect())
        } else {
            (rows.index_select(&Tensor::new(tokens.as_slice(), x.device())?, 0)?, tokens)
        };
        let (keys, values) = self.key_value_rows(&rows)?;
        let split = |projected: &Tensor| split_heads_at(projected, &positions, batch, len, self.heads);
        Ok((split(&keys)?, split(&values)?))
    }

    /// `[batch, len, d_model]` -> `[batch, heads, len, head_dim]`.
    fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (batch, len, _) = x.dims3()?;
        x.reshape((batch, len, self.heads, self.head_dim))?.transpose(1, 2)?.contiguous()
    }

    /// The context `[batch, heads, len, head_dim]` merged back into `[batch, len, d_model]` and
    /// projected.
    fn output(&self, context: &Tensor) -> Result<Tensor> {
        let (batch, _, len, _) = context.dims4()?;
        let context = context.transpose(1, 2)?.reshape((batch, len, self.heads * self.head_dim))?;
        self.out_proj.forward(&context)
    }

    /// Queries (unscaled), keys and values of `x` (`[.., d_model]`), not split into heads.
    fn project_rows(&self, x: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        match &self.projections {
            Projections::Separate { q_proj, k_proj, v_proj } => {
                Ok((q_proj.forward(x)?, k_proj.forward(x)?, v_proj.forward(x)?))
            }
            Projections::Fused(qkv) => {
                let all = qkv.forward(x)?;
                let (last, d_model) = (all.rank() - 1, self.heads * self.head_dim);
                Ok((
                    all.narrow(last, 0, d_model)?,
                    all.narrow(last, d_model, d_model)?,
                    all.narrow(last, 2 * d_model, d_model)?,
                ))
            }
        }
    }

    /// Keys and values of `x` (`[.., d_model]`), not split into heads.
    fn key_value_rows(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        match &self.projections {
            Projections::Separate { k_proj, v_proj, .. } => Ok((k_proj.forward(x)?, v_proj.forward(x)?)),
            Projections::Fused(_) => self.project_rows(x).map(|(_, keys, values)| (keys, values)),
        }
    }

    /// Queries (scaled), keys and values of `x` (`[batch, len, d_model]`), split into heads.
    fn project(&self, x: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let (q, k, v) = self.project_rows(x)?;
        Ok((self.split_heads(&(q * self.scaling)?)?, self.split_heads(&k)?, self.split_heads(&v)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    /// Self-attention with the three projections fused into one product gives exactly what separate
    /// projections give, in both the encoder's form (a mask, many positions) and a decoding step's.
    #[test]
    #[cfg_attr(not(anuvad_host_avx512), ignore = "this CPU has no AVX-512 (no fused projections there)")]
    fn fused_projections_match_separate_ones() {
        let (d_model, heads) = (64, 4);
        let device = Device::Cpu;
        let mut weights = std::collections::HashMap::new();
        for (index, part) in ["q_proj", "k_proj", "v_proj", "out_proj"].iter().enumerate() {
            let weight = Tensor::randn(0f32, 0.2, (d_model, d_model), &device).unwrap();
            let bias = (Tensor::randn(0f32, 0.2, d_model, &device).unwrap() + index as f64).unwrap();
            weights.insert(format!("{part}.weight"), weight);
            weights.insert(format!("{part}.bias"), bias);
        }
        let vb = VarBuilder::from_tensors(weights, DType::F32, &device);
        let separate = Attention::new_cross(d_model, heads, vb.clone(), Some(PackedFormat::F32)).unwrap();
        let fused = Attention::new_self(d_model, heads, vb, Some(PackedFormat::F32)).unwrap();
        assert!(matches!(fused.projections, Projections::Fused(_)));
        assert!(matches!(separate.projections, Projections::Separate { .. }));

        let x = Tensor::randn(0f32, 1.0, (3, 7, d_model), &device).unwrap();
        let open: Vec<u32> = (0..21u32).map(|i| (i % 7 < 5 + i / 7) as u32).collect();
        let mask =
            crate::model::layers::additive_mask(&Tensor::from_vec(open, (3, 7), &device).unwrap()).unwrap();
        let exact = |a: &Tensor, b: &Tensor| {
            a.flatten_all().unwrap().to_vec1::<f32>().unwrap()
                == b.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        };
        let (q1, k1, v1) = separate.project(&x).unwrap();
        let (q2, k2, v2) = fused.project(&x).unwrap();
        assert!(exact(&q1, &q2) && exact(&k1, &k2) && exact(&v1, &v2));
        assert!(exact(
            &separate.cross(&x, &k1, &v1, &mask).unwrap(),
            &fused.forward(&x, Some(&mask)).unwrap()
        ));
        // Decoding steps through the step-by-step cache.
        let (mut cache_a, mut cache_b) = (SelfAttentionCache::new(), SelfAttentionCache::new());
        for step in 0..3 {
            let h = Tensor::randn(0f32, 1.0, (2, 1, d_model), &device).unwrap();
            let a = separate.step(&h, &mut cache_a).unwrap();
            let b = fused.step(&h, &mut cache_b).unwrap();
            assert!(exact(&a, &b), "step {step}");
        }
    }
}
