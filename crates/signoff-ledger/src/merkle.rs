//! The RFC 6962 Merkle tree: hashing, tree heads, inclusion and consistency proofs.
//!
//! Definitions follow RFC 6962 §2.1 (restated unchanged as RFC 9162 §2.1.1), and the
//! two verifiers follow the algorithms of RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
//! (consistency) step by step. The notation in comments is the RFCs': `D[n]` is the
//! list of the first `n` entries, `MTH` the Merkle Tree Hash, `k` the largest power of
//! two smaller than `n`.
//!
//! Everything here works on *leaf hashes*, never on entry bytes: the store keeps one
//! leaf hash per entry and hands slices of them in. Proof generation is linear in the
//! number of leaves covered (each leaf hash is folded into exactly one sibling subtree
//! root), and memory beyond the proof itself is O(log n).
//!
//! Architecture Invariant: a leaf hash is `SHA-256(0x00 ‖ entry bytes)` and an interior
//! node is `SHA-256(0x01 ‖ left ‖ right)`. The two prefixes keep a leaf from ever being
//! read as a node (the second-preimage defence of RFC 6962 §2.1); nothing else is
//! hashed into the tree.

use sha2::Digest as _;
use signoff_core::Digest;

/// Domain-separation prefix of a leaf hash (RFC 6962 §2.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 6962 §2.1).
const NODE_PREFIX: u8 = 0x01;

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A proof was asked for a tree larger than the leaf hashes supplied.
    #[error("tree size {size} exceeds the {available} leaf hashes supplied")]
    SizeBeyondLeaves {
        /// The tree size asked for.
        size: u64,
        /// How many leaf hashes were given.
        available: u64,
    },
    /// The old tree of a consistency proof is larger than the new one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    SizesOutOfOrder {
        /// The older (first) tree size.
        old_size: u64,
        /// The newer (second) tree size.
        new_size: u64,
    },
    /// The proof has the wrong number of hashes for the sizes and index it claims.
    #[error("proof has {actual} hashes, expected {expected}")]
    WrongProofLength {
        /// How many hashes the sizes (and index) call for.
        expected: usize,
        /// How many the proof holds.
        actual: usize,
    },
    /// The root recomputed from the proof is not the root that was expected.
    #[error("root computed from the proof is {computed}, expected {expected}")]
    RootMismatch {
        /// The trusted root.
        expected: Digest,
        /// The root the proof leads to.
        computed: Digest,
    },
    /// The old root recomputed from a consistency proof is not the old root given.
    #[error("old root computed from the proof is {computed}, expected {expected}")]
    OldRootMismatch {
        /// The trusted old root.
        expected: Digest,
        /// The old root the proof leads to.
        computed: Digest,
    },
    /// Subtree roots handed to [`TreeBuilder::from_parts`] do not fit the tree size.
    #[error("a tree of size {size} has {expected} perfect subtrees, got {actual}")]
    WrongSubtreeCount {
        /// The tree size.
        size: u64,
        /// One per set bit of `size`.
        expected: usize,
        /// How many were given.
        actual: usize,
    },
}

/// `SHA-256(0x00 ‖ data)`: the hash of one entry as a leaf (RFC 6962 §2.1).
pub fn leaf_hash(data: &[u8]) -> Digest {
    let mut sha = sha2::Sha256::new();
    sha.update([LEAF_PREFIX]);
    sha.update(data);
    Digest::from_bytes(sha.finalize().into())
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an interior node (RFC 6962 §2.1).
pub fn node_hash(left: &Digest, right: &Digest) -> Digest {
    let mut sha = sha2::Sha256::new();
    sha.update([NODE_PREFIX]);
    sha.update(left.as_bytes());
    sha.update(right.as_bytes());
    Digest::from_bytes(sha.finalize().into())
}

/// `MTH({}) = SHA-256()`: the root of the empty tree (RFC 6962 §2.1).
pub fn empty_root() -> Digest {
    Digest::of(b"")
}

/// The Merkle Tree Hash `MTH(D[n])` of the given leaf hashes (RFC 6962 §2.1).
pub fn root(leaves: &[Digest]) -> Digest {
    let mut builder = TreeBuilder::new();
    for leaf in leaves {
        builder.push(*leaf);
    }
    builder.root()
}

/// The audit path `PATH(index, D[size])` (RFC 6962 §2.1.1) over the first `size` of
/// `leaves`, ordered from the leaf's sibling up to the root's child.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] unless `index < size`, and
/// [`ProofError::SizeBeyondLeaves`] when fewer than `size` leaf hashes are given.
pub fn inclusion_proof(leaves: &[Digest], index: u64, size: u64) -> Result<Vec<Digest>, ProofError> {
    let tree = prefix(leaves, size)?;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::with_capacity(64);
    // `index < size <= leaves.len()`, so it fits in usize.
    audit_path(to_usize(index), tree, &mut proof);
    Ok(proof)
}

/// The consistency proof `PROOF(old_size, D[new_size])` (RFC 6962 §2.1.2) over the first
/// `new_size` of `leaves`.
///
/// The proof is empty when `old_size` is 0 or equals `new_size`: any tree extends the
/// empty tree, and equal sizes must have equal roots (RFC 9162 §2.1.4.2 handles both
/// outside the algorithm, and so does [`verify_consistency`]).
///
/// # Errors
/// [`ProofError::SizesOutOfOrder`] when `old_size > new_size`, and
/// [`ProofError::SizeBeyondLeaves`] when fewer than `new_size` leaf hashes are given.
pub fn consistency_proof(leaves: &[Digest], old_size: u64, new_size: u64) -> Result<Vec<Digest>, ProofError> {
    let tree = prefix(leaves, new_size)?;
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder { old_size, new_size });
    }
    let mut proof = Vec::with_capacity(64);
    if old_size > 0 && old_size < new_size {
        subproof(to_usize(old_size), tree, true, &mut proof);
    }
    Ok(proof)
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves whose root is `root`,
/// by the algorithm of RFC 9162 §2.1.3.2.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`], [`ProofError::WrongProofLength`] or
/// [`ProofError::RootMismatch`].
pub fn verify_inclusion(
    leaf: &Digest,
    index: u64,
    size: u64,
    proof: &[Digest],
    root: &Digest,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(leaf, index, size, proof)?;
    if computed != *root {
        return Err(ProofError::RootMismatch { expected: *root, computed });
    }
    Ok(())
}

/// The root that an inclusion proof leads to (the first part of RFC 9162 §2.1.3.2); the
/// caller compares it with a trusted root, or uses [`verify_inclusion`].
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] unless `index < size`, and
/// [`ProofError::WrongProofLength`] when the proof is not exactly as long as the
/// position of `index` in a tree of `size` leaves requires.
pub fn root_from_inclusion_proof(leaf: &Digest, index: u64, size: u64, proof: &[Digest]) -> Result<Digest, ProofError> {
    // 1. If leaf_index is greater than or equal to tree_size, then fail proof verification.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // The algorithm itself detects a wrong length (steps 4.1 and 5); checking it first
    // gives the caller a precise error. The path has one hash per level below the point
    // where the leaf's path and the last leaf's path part (`inner`), plus one per
    // left-sibling perfect subtree above it (`border`).
    let inner = bit_length(index ^ (size - 1));
    let border = (index >> inner).count_ones() as usize;
    if proof.len() != inner + border {
        return Err(ProofError::WrongProofLength { expected: inner + border, actual: proof.len() });
    }

    // 2. Set fn to leaf_index and sn to tree_size - 1.
    let mut fn_ = index;
    let mut sn = size - 1;
    // 3. Set r to hash.
    let mut r = *leaf;
    // 4. For each value p in the inclusion_path array:
    for p in proof {
        // 4.1 If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0 {
            return Err(ProofError::WrongProofLength { expected: inner + border, actual: proof.len() });
        }
        // 4.2 If LSB(fn) is set, or if fn is equal to sn, then:
        if fn_ & 1 == 1 || fn_ == sn {
            // 4.2.1 Set r to HASH(0x01 || p || r).
            r = node_hash(p, &r);
            // 4.2.2 If LSB(fn) is not set, then right-shift both fn and sn equally until
            //       either LSB(fn) is set or fn is 0.
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            // Otherwise: Set r to HASH(0x01 || r || p).
            r = node_hash(&r, p);
        }
        // 4.3 Finally, right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. Compare sn to 0 (the root comparison is the caller's).
    if sn != 0 {
        return Err(ProofError::WrongProofLength { expected: inner + border, actual: proof.len() });
    }
    Ok(r)
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root`, by the algorithm of RFC 9162 §2.1.4.2.
///
/// `old_size == new_size` needs an empty proof and equal roots; `old_size == 0` needs an
/// empty proof and nothing else, as every tree extends the empty one.
///
/// # Errors
/// [`ProofError::SizesOutOfOrder`], [`ProofError::WrongProofLength`],
/// [`ProofError::OldRootMismatch`] or [`ProofError::RootMismatch`] (the new root).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Digest,
    new_root: &Digest,
    proof: &[Digest],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength { expected: 0, actual: proof.len() });
        }
        if old_root != new_root {
            return Err(ProofError::RootMismatch { expected: *new_root, computed: *old_root });
        }
        return Ok(());
    }
    if old_size == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength { expected: 0, actual: proof.len() });
        }
        return Ok(());
    }

    // Expected length, checked first for a precise error. Below the lowest set bit of
    // old_size the two trees share a perfect subtree, whose root is the seed: either
    // old_root itself (old_size a power of two) or the first proof hash.
    let shift = old_size.trailing_zeros();
    let seed_in_proof = usize::from(!old_size.is_power_of_two());
    let index = (old_size - 1) >> shift;
    let inner = bit_length(index ^ ((new_size - 1) >> shift));
    let border = (index >> inner).count_ones() as usize;
    let expected = seed_in_proof + inner + border;
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength { expected, actual: proof.len() });
    }
    let wrong_length = ProofError::WrongProofLength { expected, actual: proof.len() };

    // 1. If consistency_path is an empty array, stop and fail the proof verification.
    // 2. If first is an exact power of 2, then prepend first_hash to the
    //    consistency_path array.
    let mut path = proof.iter();
    let seed = if seed_in_proof == 0 {
        *old_root
    } else {
        let Some(first) = path.next() else { return Err(wrong_length) };
        *first
    };
    // 3. Set fn to first - 1 and sn to second - 1.
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is
    //    not set.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. Set both fr and sr to the first value in the consistency_path array.
    let mut fr = seed;
    let mut sr = seed;
    // 6. For each subsequent value c in the consistency_path array:
    for c in path {
        // 6.1 If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0 {
            return Err(wrong_length);
        }
        // 6.2 If LSB(fn) is set, or if fn is equal to sn, then:
        if fn_ & 1 == 1 || fn_ == sn {
            // 6.2.1 Set fr to HASH(0x01 || c || fr). Set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            // 6.2.2 If LSB(fn) is not set, then right-shift both fn and sn equally until
            //       either LSB(fn) is set or fn is 0.
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            // Otherwise: Set sr to HASH(0x01 || sr || c).
            sr = node_hash(&sr, c);
        }
        // 6.3 Finally, right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7. Compare fr to first_hash, sr to second_hash, and sn to 0.
    if sn != 0 {
        return Err(wrong_length);
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch { expected: *old_root, computed: fr });
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch { expected: *new_root, computed: sr });
    }
    Ok(())
}

/// Computes tree heads over a stream of leaf hashes, one push at a time.
///
/// It keeps the roots of the perfect subtrees that make up the tree so far, one per set
/// bit of the size, largest (leftmost) first: the "compact range" `[0, size)`. A push
/// merges equal-sized subtrees like a binary counter carries, so it costs amortised O(1)
/// and at most O(log n) hashes; [`TreeBuilder::root`] folds the subtrees right to left,
/// which is exactly how `MTH` splits an unbalanced tree (RFC 6962 §2.1), in O(log n).
/// This is what lets `ledger verify` check the root at every checkpoint in one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeBuilder {
    size: u64,
    /// Perfect-subtree roots, one per set bit of `size`, from the highest bit down.
    subtrees: Vec<Digest>,
}

impl TreeBuilder {
    /// An empty tree.
    pub fn new() -> TreeBuilder {
        TreeBuilder { size: 0, subtrees: Vec::with_capacity(64) }
    }

    /// Resumes from a saved state: the tree size and its perfect-subtree roots, as
    /// returned by [`TreeBuilder::subtrees`].
    ///
    /// # Errors
    /// [`ProofError::WrongSubtreeCount`] unless there is one root per set bit of `size`.
    pub fn from_parts(size: u64, subtrees: Vec<Digest>) -> Result<TreeBuilder, ProofError> {
        let expected = size.count_ones() as usize;
        if subtrees.len() != expected {
            return Err(ProofError::WrongSubtreeCount { size, expected, actual: subtrees.len() });
        }
        Ok(TreeBuilder { size, subtrees })
    }

    /// Appends the next leaf hash.
    pub fn push(&mut self, leaf: Digest) {
        let mut carry = leaf;
        let mut size = self.size;
        // Each trailing one bit of the old size is a perfect subtree of the same height
        // as `carry`; merge them as a binary increment carries.
        while size & 1 == 1 {
            let Some(left) = self.subtrees.pop() else { break };
            carry = node_hash(&left, &carry);
            size >>= 1;
        }
        self.subtrees.push(carry);
        self.size += 1;
    }

    /// The number of leaves pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots, largest first; with [`TreeBuilder::size`] they are the
    /// whole state, for [`TreeBuilder::from_parts`].
    pub fn subtrees(&self) -> &[Digest] {
        &self.subtrees
    }

    /// `MTH` of the leaves pushed so far.
    pub fn root(&self) -> Digest {
        let mut rest = self.subtrees.iter().rev();
        let Some(last) = rest.next() else { return empty_root() };
        rest.fold(*last, |right, left| node_hash(left, &right))
    }
}

/// The first `size` leaves, or an error when there are fewer.
fn prefix(leaves: &[Digest], size: u64) -> Result<&[Digest], ProofError> {
    let available = leaves.len() as u64;
    match usize::try_from(size) {
        Ok(n) if size <= available => Ok(&leaves[..n]),
        _ => Err(ProofError::SizeBeyondLeaves { size, available }),
    }
}

/// Converts a value already known to be at most a slice length.
fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// The number of bits needed to write `value` (0 for 0).
fn bit_length(value: u64) -> usize {
    (u64::BITS - value.leading_zeros()) as usize
}

/// `k`: the largest power of two smaller than `n`, for `n > 1` (RFC 6962 §2.1).
fn split_point(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// `PATH(m, D[n])` (RFC 6962 §2.1.1), appended leaf-first.
fn audit_path(m: usize, leaves: &[Digest], out: &mut Vec<Digest>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    let (left, right) = leaves.split_at(k);
    if m < k {
        // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
        audit_path(m, left, out);
        out.push(root(right));
    } else {
        // PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
        audit_path(m - k, right, out);
        out.push(root(left));
    }
}

/// `SUBPROOF(m, D[n], b)` (RFC 6962 §2.1.2), appended in order; requires `0 < m <= n`.
fn subproof(m: usize, leaves: &[Digest], complete: bool, out: &mut Vec<Digest>) {
    let n = leaves.len();
    if m == n {
        // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}.
        if !complete {
            out.push(root(leaves));
        }
        return;
    }
    let k = split_point(n);
    let (left, right) = leaves.split_at(k);
    if m <= k {
        // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
        subproof(m, left, complete, out);
        out.push(root(right));
    } else {
        // SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
        subproof(m - k, right, false, out);
        out.push(root(left));
    }
}

#[cfg(test)]
mod tests;
