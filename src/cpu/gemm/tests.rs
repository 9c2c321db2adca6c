//! The packed products against their definitions, on every level: f32 and bf16 panels bit for bit
//! against sequential fused multiply-adds, int8 panels against the integer scheme spelled out, AMX
//! tiles within rounding.

use super::*;

fn values(count: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2654435761).max(1);
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// Sizes around the tiles' rows (4, 6, 12), the panel and its halves, the depth block (256 steps: 256
/// inputs in f32, 1024 in int8) and int8's padding to eight inputs, and more rows than a row group.
const SIZES: [(usize, usize, usize); 14] = [
    (1, 3, 1),
    (4, 40, 48),
    (5, 17, 33),
    (6, 64, 8),
    (7, 9, 40),
    (12, 256, 32),
    (13, 257, 70),
    (32, 512, 100),
    (40, 600, 31),
    (100, 513, 40),
    (20, 64, 50),
    (3, 1100, 45),
    (25, 2050, 20),
    (0, 8, 8),
];

/// What the f32 and bf16 panels compute: per output, the products added in input order with fused
/// multiply-adds (in f32), then the bias.
fn float_reference(
    a: &[f32],
    rows: usize,
    weight: &[f32],
    out_dim: usize,
    bias: Option<&[f32]>,
    bf16: bool,
) -> Vec<f32> {
    let in_dim = a.len() / rows.max(1);
    let stored = |value: f32| if bf16 { f32::from_bits(bf16_bits(value) << 16) } else { value };
    let mut out = vec![0f32; rows * out_dim];
    for r in 0..rows {
        for c in 0..out_dim {
            let sum = (0..in_dim)
                .fold(0f32, |sum, k| a[r * in_dim + k].mul_add(stored(weight[c * in_dim + k]), sum));
            out[r * out_dim + c] = sum + bias.map_or(0.0, |b| b[c]);
        }
    }
    out
}

/// What the int8 panels compute: weights quantized per column onto ±`weight_max` (127, or 63 for
/// `Int8Narrow`) and inputs per row onto ±127, exact integer sums, then `sum * (row scale * column
/// scale) + bias` in f32.
fn int8_reference(
    a: &[f32],
    rows: usize,
    weight: &[f32],
    out_dim: usize,
    bias: Option<&[f32]>,
    weight_max: f32,
) -> Vec<f32> {
    let in_dim = a.len() / rows.max(1);
    let quantized = |values: &[f32], levels: f32| {
        let max = values.iter().fold(0f32, |max, v| max.max(v.abs()));
        let factor = if max > 0.0 { levels / max } else { 0.0 };
        let codes: Vec<i32> =
            values.iter().map(|&v| (v * factor).round_ties_even().clamp(-levels, levels) as i32).collect();
        (codes, max / levels)
    };
    let columns: Vec<_> =
        (0..out_dim).map(|c| quantized(&weight[c * in_dim..][..in_dim], weight_max)).collect();
    let mut out = vec![0f32; rows * out_dim];
    for r in 0..rows {
        let (inputs, row_scale) = quantized(&a[r * in_dim..][..in_dim], 127.0);
        for (c, (weights, column_scale)) in columns.iter().enumerate() {
            let sum: i32 = inputs.iter().zip(weights).map(|(x, w)| x * w).sum();
            out[r * out_dim + c] = sum as f32 * (row_scale * column_scale) + bias.map_or(0.0, |b| b[c]);
        }
    }
    out
}

/// The reference of `format` (a panel format).
fn panel_reference(
    a: &[f32],
    rows: usize,
    weight: &[f32],
    out_dim: usize,
    bias: Option<&[f32]>,
    format: Format,
) -> Vec<f32> {
    match format {
        Format::Int8 => int8_reference(a, rows, weight, out_dim, bias, 127.0),
        Format::Int8Narrow => int8_reference(a, rows, weight, out_dim, bias, 63.0),
        _ => float_reference(a, rows, weight, out_dim, bias, format == Format::Bf16),
    }
}

fn check_panels(isa: Isa, format: Format) {
    if !format.runs_at(isa) {
        // Only `generic` lacks the packed kernels (the loader never packs for it), and x86 without
        // VNNI full int8 weights (it packs them 7-bit there).
        let expected =
            isa == Isa::Generic || (format == Format::Int8 && matches!(isa, Isa::Avx2 | Isa::Avx512));
        assert!(expected, "{format:?} has no kernel at {isa}");
        return;
    }
    for &(rows, in_dim, out_dim) in &SIZES {
        let a = values(rows * in_dim, 1 + rows as u32);
        let weight = values(out_dim * in_dim, 7 + in_dim as u32);
        let bias = values(out_dim, 3);
        let packed = PackedWeight::from_out_in(&weight, out_dim, in_dim, format).unwrap();
        for bias in [None, Some(&bias[..])] {
            let got = packed.matmul_with(isa, &a, rows, bias);
            let want = panel_reference(&a, rows, &weight, out_dim, bias, format);
            assert_eq!(got.len(), want.len());
            for (index, (&got, &want)) in got.iter().zip(&want).enumerate() {
                assert!(
                    got == want,
                    "{format:?} at {isa}: rows {rows} in {in_dim} out {out_dim} element {index}: {got} vs {want}"
                );
            }
        }
    }
}

crate::cpu::isa_tests! {
    fn f32_panels_match_sequential_fma(isa) {
        check_panels(isa, Format::F32);
    }

    fn bf16_panels_match_sequential_fma(isa) {
        check_panels(isa, Format::Bf16);
    }

    fn int8_panels_match_the_integer_scheme(isa) {
        check_panels(isa, Format::Int8);
    }

    fn narrow_int8_panels_match_the_integer_scheme(isa) {
        check_panels(isa, Format::Int8Narrow);
    }

    fn int8_sums_stay_exact_at_the_largest_magnitudes(isa) {
        // Every input and weight at the largest magnitude: each pair of `u8 x s8` products is
        // 2 * 255 * 63 for 7-bit weights, just within `vpmaddubsw`'s 16 bits; 2 * 255 * 127 with full
        // int8 weights, which only VNNI (32-bit sums) and NEON (signed bytes) multiply.
        for format in [Format::Int8, Format::Int8Narrow].into_iter().filter(|format| format.runs_at(isa)) {
            let (rows, in_dim, out_dim) = (3, 40, 20);
            let a = vec![1.0f32; rows * in_dim];
            let weight: Vec<f32> = (0..out_dim * in_dim).map(|i| if i % 7 == 0 { -1.0 } else { 1.0 }).collect();
            let packed = PackedWeight::from_out_in(&weight, out_dim, in_dim, format).unwrap();
            let got = packed.matmul_with(isa, &a, rows, None);
            assert_eq!(got, panel_reference(&a, rows, &weight, out_dim, None, format), "{format:?} at {isa}");
        }
    }

    fn interleaving_rows_matches_element_by_element(isa) {
        for (count, stride) in [(1, 1), (3, 6), (6, 6), (5, 12), (12, 12), (16, 16)] {
            for in_dim in [1, 15, 16, 17, 40] {
                let rows = values(count * in_dim, (count * 100 + in_dim) as u32);
                let mut packed = vec![f32::NAN; stride * in_dim];
                panels::interleave_rows(isa, &rows, in_dim, stride, &mut packed);
                for k in 0..in_dim {
                    for r in 0..stride {
                        let got = packed[k * stride + r];
                        if r < count {
                            assert_eq!(got, rows[r * in_dim + k], "count {count} in {in_dim}");
                        } else {
                            assert!(got.is_nan(), "padding rows left alone");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn row_tiles_cover_every_row_once_evenly_where_the_layout_allows() {
    use panels::{row_tiles, InputLayout};
    for rows in 1..200 {
        for layout in [InputLayout::F32Rows, InputLayout::F32] {
            let tiles = row_tiles(rows, 6, layout);
            assert_eq!(tiles.len(), rows.div_ceil(6), "{rows} rows, {layout:?}");
            let mut next = 0;
            for &(first, count) in &tiles {
                assert!(first == next && (1..=6).contains(&count), "{rows} rows, {layout:?}: {tiles:?}");
                next += count;
            }
            assert_eq!(next, rows);
            let shortest = tiles.iter().map(|t| t.1).min().unwrap();
            if layout == InputLayout::F32Rows {
                assert!(tiles.iter().all(|t| t.1 - shortest <= 1), "{rows}: {tiles:?}");
            } else {
                assert!(tiles.iter().all(|&(first, _)| first % 6 == 0), "{rows}: {tiles:?}");
            }
        }
    }
    assert_eq!(row_tiles(128, 6, InputLayout::F32Rows).iter().filter(|t| t.1 == 5).count(), 4);
}

/// `a @ weight^T + bias` in f64 on the weights (and for AMX bf16 the inputs) as the AMX tiles store
/// them, or the int8 scheme in f64: the AMX tiles' reference, within rounding.
fn amx_reference(
    a: &[f32],
    rows: usize,
    weight: &[f32],
    out_dim: usize,
    bias: Option<&[f32]>,
    format: Format,
) -> Vec<f64> {
    if format == Format::AmxInt8 {
        return int8_reference(a, rows, weight, out_dim, bias, 127.0).into_iter().map(f64::from).collect();
    }
    let bf16 = |value: f32| f32::from_bits(bf16_bits(value) << 16) as f64;
    let in_dim = a.len() / rows.max(1);
    let mut out = vec![0f64; rows * out_dim];
    for r in 0..rows {
        for c in 0..out_dim {
            let dot: f64 = (0..in_dim).map(|k| bf16(a[r * in_dim + k]) * bf16(weight[c * in_dim + k])).sum();
            out[r * out_dim + c] = dot + bias.map_or(0.0, |b| b[c] as f64);
        }
    }
    out
}

#[test]
#[cfg_attr(not(anuvad_host_amx), ignore = "this CPU has no AMX")]
fn amx_bf16_tiles_match_reference() {
    amx_tiles_match_reference(Format::AmxBf16);
}

#[test]
#[cfg_attr(not(anuvad_host_amx), ignore = "this CPU has no AMX")]
fn amx_int8_tiles_match_reference() {
    amx_tiles_match_reference(Format::AmxInt8);
}

fn amx_tiles_match_reference(format: Format) {
    assert!(format.supported(), "this CPU does not run {format:?}");
    // AMX blocks of 32 rows: remainders of at most 16 and of more; depths around the int8 tile's 64
    // inputs.
    let sizes = [(20, 64, 50), (50, 96, 70), (17, 65, 33), (33, 127, 64), (13, 257, 70), (100, 513, 40)];
    for (rows, in_dim, out_dim) in sizes {
        let a = values(rows * in_dim, 1 + rows as u32);
        let weight = values(out_dim * in_dim, 7 + in_dim as u32);
        let bias = values(out_dim, 3);
        let packed = PackedWeight::from_out_in(&weight, out_dim, in_dim, format).unwrap();
        for bias in [None, Some(&bias[..])] {
            let got = packed.matmul_with(Isa::Amx, &a, rows, bias);
            let want = amx_reference(&a, rows, &weight, out_dim, bias, format);
            for (index, (&got, &want)) in got.iter().zip(&want).enumerate() {
                // f32 accumulation of up to 600 products of magnitude <= 1.
                let tolerance = 1e-5 * (in_dim as f64).sqrt() * 4.0;
                assert!(
                    (got as f64 - want).abs() <= tolerance,
                    "{format:?} rows {rows} in {in_dim} out {out_dim} element {index}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn bf16_rounding_is_to_nearest_even() {
    assert_eq!(bf16_bits(1.0), 0x3f80);
    // 1 + 2^-8 lies halfway between 1 and the next bf16 (1 + 2^-7): ties go to the even 1.
    assert_eq!(bf16_bits(1.0 + 1.0 / 256.0), 0x3f80);
    assert_eq!(bf16_bits(1.0 + 3.0 / 256.0), 0x3f82);
    assert_eq!(bf16_bits(-2.5), 0xc020);
    assert_eq!(bf16_bits(f32::INFINITY), 0x7f80);
    assert!(f32::from_bits(bf16_bits(f32::NAN) << 16).is_nan());
}

#[test]
fn out_row_reads_back_the_f32_matrix() {
    let (out_dim, in_dim) = (45, 19);
    let weight = values(out_dim * in_dim, 11);
    let packed = PackedWeight::from_out_in(&weight, out_dim, in_dim, Format::F32).unwrap();
    let mut row = vec![0f32; in_dim];
    for column in 0..out_dim {
        assert!(packed.out_row(column, &mut row));
        assert_eq!(row, weight[column * in_dim..][..in_dim]);
    }
    assert!(!packed.out_row(out_dim, &mut row));
    let bf16 = PackedWeight::from_out_in(&weight, out_dim, in_dim, Format::Bf16).unwrap();
    assert!(!bf16.out_row(0, &mut row));
}

#[test]
fn rejects_mismatched_sizes() {
    let weight = values(6, 1);
    assert!(PackedWeight::from_out_in(&weight, 2, 4, Format::F32).is_none());
    assert!(PackedWeight::from_out_in(&weight, 0, 0, Format::F32).is_none());
    assert!(PackedWeight::from_out_in(&weight, 3, 2, Format::Bf16).is_some());
    assert!(PackedWeight::from_out_in(&weight, 3, 2, Format::Int8).is_some());
}

#[test]
fn every_simd_level_runs_every_panel_format_it_can() {
    for &level in Isa::levels() {
        for format in [Format::F32, Format::Bf16, Format::Int8Narrow] {
            assert_eq!(format.runs_at(level), level != Isa::Generic, "{format:?} at {level}");
        }
        let saturates = matches!(level, Isa::Avx2 | Isa::Avx512);
        assert_eq!(Format::Int8.runs_at(level), level != Isa::Generic && !saturates, "Int8 at {level}");
    }
}
