//! Element order between R and HDF5. R stores arrays column-major (the first index varies
//! fastest), HDF5 (and numpy) row-major, both with the same `dim`, so going from one to the other
//! reverses the axes. The copy is done as 2-D transposes of the first and last axes, one per
//! index of the axes between, in square blocks through a tile in cache, converting each element
//! on the way: one pass over the data, nothing allocated on the heap.

/// Side of the square blocks: a tile of 32 x 32 eight-byte values (8 KiB) stays in L1.
const BLOCK: usize = 32;

/// Copies `src` into `dst` (of the same length, `shape`'s product), from column-major to
/// row-major order (`to_row_major`) or back, converting each element with `f`. `None` when the
/// lengths do not match the shape.
pub fn permute<S: Copy, D>(
    src: &[S],
    dst: &mut [D],
    shape: &[usize],
    to_row_major: bool,
    f: impl Fn(&S) -> D,
) -> Option<()> {
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
    if src.len() != n || dst.len() != n {
        return None;
    }
    // With at most one axis longer than 1, both orders are the same.
    if n == 0 || shape.iter().filter(|&&d| d > 1).count() <= 1 {
        dst.iter_mut().zip(src).for_each(|(d, s)| *d = f(s));
        return Some(());
    }
    let rank = shape.len();
    let mut col = vec![1usize; rank];
    for k in 1..rank {
        col[k] = col[k - 1] * shape[k - 1];
    }
    let mut row = vec![1usize; rank];
    for k in (0..rank - 1).rev() {
        row[k] = row[k + 1] * shape[k + 1];
    }
    let (ss, ds) = if to_row_major { (&col, &row) } else { (&row, &col) };
    let (first, last) = (shape[0], shape[rank - 1]);
    let (s0, sl, d0, dl) = (ss[0], ss[rank - 1], ds[0], ds[rank - 1]);
    // The axes between the first and the last, walked as an odometer.
    let mut idx = vec![0usize; rank];
    let mut tile = [[src[0]; BLOCK]; BLOCK];
    loop {
        let (mut bs, mut bd) = (0usize, 0usize);
        for k in 1..rank - 1 {
            bs += idx[k] * ss[k];
            bd += idx[k] * ds[k];
        }
        for ib in (0..first).step_by(BLOCK) {
            let ie = (ib + BLOCK).min(first);
            for jb in (0..last).step_by(BLOCK) {
                let je = (jb + BLOCK).min(last);
                // The block's last elements lie within both slices (the index is at most n - 1
                // for any index within the shape), so the elements inside it need no checks.
                let (smax, dmax) = (bs + (ie - 1) * s0 + (je - 1) * sl, bd + (ie - 1) * d0 + (je - 1) * dl);
                if smax >= src.len() || dmax >= dst.len() {
                    return None;
                }
                // The block goes through a tile on the stack, read and written each along the
                // axis that is contiguous in its slice: whole cache lines at a time, whatever
                // the strides (power-of-two strides would otherwise evict each other).
                // SAFETY: every index in the block is at most `smax` (`dmax`), checked above.
                unsafe {
                    if s0 <= sl {
                        for j in jb..je {
                            let s = bs + j * sl;
                            for i in ib..ie {
                                tile[j - jb][i - ib] = *src.get_unchecked(s + i * s0);
                            }
                        }
                    } else {
                        for i in ib..ie {
                            let s = bs + i * s0;
                            for j in jb..je {
                                tile[j - jb][i - ib] = *src.get_unchecked(s + j * sl);
                            }
                        }
                    }
                    if dl <= d0 {
                        for i in ib..ie {
                            let d = bd + i * d0;
                            for j in jb..je {
                                *dst.get_unchecked_mut(d + j * dl) = f(&tile[j - jb][i - ib]);
                            }
                        }
                    } else {
                        for j in jb..je {
                            let d = bd + j * dl;
                            for i in ib..ie {
                                *dst.get_unchecked_mut(d + i * d0) = f(&tile[j - jb][i - ib]);
                            }
                        }
                    }
                }
            }
        }
        let mut k = rank - 2;
        loop {
            if k == 0 {
                return Some(());
            }
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
            k -= 1;
        }
    }
}

/// [`permute`] for values that are not `Copy` (strings: a few attribute values), cloned into a
/// new vector.
pub fn permute_cloned<T: Clone>(src: &[T], shape: &[usize], to_row_major: bool) -> Option<Vec<T>> {
    let positions: Vec<usize> = (0..src.len()).collect();
    let mut from = vec![0usize; src.len()];
    permute(&positions, &mut from, shape, to_row_major, |&p| p)?;
    Some(from.iter().map(|&p| src[p].clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::{permute, permute_cloned};

    /// Row-major offset of the element at column-major position `f`, from the definitions.
    fn row_offset(mut f: usize, shape: &[usize]) -> usize {
        let mut idx = vec![0; shape.len()];
        for (k, &d) in shape.iter().enumerate() {
            idx[k] = f % d;
            f /= d;
        }
        idx.iter().zip(shape).fold(0, |a, (&i, &d)| a * d + i)
    }

    #[test]
    fn permute_puts_every_element_where_the_two_orders_say_and_back() {
        let shapes: &[&[usize]] = &[
            &[],
            &[7],
            &[0, 3],
            &[1, 5],
            &[5, 1],
            &[3, 4],
            &[33, 65],
            &[70, 3],
            &[2, 3, 4],
            &[3, 3, 40, 1],
            &[3, 3, 8, 33],
            &[40, 70],
            &[100, 3, 65],
            &[64, 2, 2, 64],
            &[1, 1, 64, 16],
            &[2, 1, 3, 1, 5],
        ];
        for &shape in shapes {
            let n: usize = shape.iter().product();
            let colmajor: Vec<u32> = (0..n as u32).collect();
            let mut rowmajor = vec![u32::MAX; n];
            permute(&colmajor, &mut rowmajor, shape, true, |&x| x).unwrap();
            for f in 0..n {
                assert_eq!(rowmajor[row_offset(f, shape)], f as u32, "shape {shape:?}, element {f}");
            }
            let mut back = vec![0.0f64; n];
            permute(&rowmajor, &mut back, shape, false, |&x| f64::from(x)).unwrap();
            assert_eq!(back, colmajor.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(), "shape {shape:?}");
            let text: Vec<String> = colmajor.iter().map(|x| x.to_string()).collect();
            let moved = permute_cloned(&text, shape, true).unwrap();
            assert_eq!(moved, rowmajor.iter().map(|x| x.to_string()).collect::<Vec<_>>(), "shape {shape:?}");
        }
    }

    #[test]
    fn permute_refuses_lengths_that_do_not_match_the_shape() {
        let mut dst = [0u8; 6];
        assert_eq!(permute(&[0u8; 5], &mut dst, &[2, 3], true, |&x| x), None);
        assert_eq!(permute(&[0u8; 6], &mut dst[..5], &[2, 3], true, |&x| x), None);
        assert_eq!(permute(&[0u8; 6], &mut dst, &[usize::MAX, 3], true, |&x| x), None);
    }
}
