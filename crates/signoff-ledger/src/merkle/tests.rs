//! Tests of the Merkle tree: the RFC 6962 test leaves with the roots and proofs published
//! by transparency-dev/merkle (the Go reference behind Trillian, Tessera and sumdb),
//! tampered proofs that must fail, and ct-merkle as an independent oracle.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use proptest::prelude::*;
use sha2::Sha256;

use super::*;

/// The eight leaves used throughout RFC 6962 test suites (certificate-transparency,
/// transparency-dev/merkle `proof/verify_test.go`).
const LEAVES: [&str; 8] =
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

/// `MTH(D[n])` of the first `n` of [`LEAVES`], for n = 1..=8 (transparency-dev/merkle).
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// `(index, size, PATH(index, D[size]))` from transparency-dev/merkle (`proof/verify_test.go`,
/// whose indices are 1-based, and `testonly/reference_test.go`).
const INCLUSION: &[(u64, u64, &[&str])] = &[
    (0, 1, &[]),
    (0, 2, &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

/// `(old_size, new_size, PROOF(old_size, D[new_size]))` from transparency-dev/merkle.
const CONSISTENCY: &[(u64, u64, &[&str])] = &[
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn h(hex_text: &str) -> Digest {
    Digest::from_hex(hex_text).unwrap()
}

fn hashes(hex_texts: &[&str]) -> Vec<Digest> {
    hex_texts.iter().map(|text| h(text)).collect()
}

fn rfc_leaves() -> Vec<Digest> {
    LEAVES.iter().map(|leaf| leaf_hash(&hex::decode(leaf).unwrap())).collect()
}

/// An arbitrary hash that is no node of the test tree.
fn some_hash() -> Digest {
    h("abacaba000000000000000000000000000000000000000000060061e00123456")
}

fn flip(hash: &Digest, byte: usize, mask: u8) -> Digest {
    let mut bytes = *hash.as_bytes();
    bytes[byte] ^= mask;
    Digest::from_bytes(bytes)
}

// --- Hashing and roots -------------------------------------------------------------------

#[test]
fn hashing_matches_rfc_6962() {
    assert_eq!(empty_root().to_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(root(&[]), empty_root());
    // The single-leaf tree's root is its leaf hash, SHA-256(0x00).
    assert_eq!(leaf_hash(b""), h(ROOTS[0]));
    assert_eq!(leaf_hash(b"").to_hex(), Digest::of(&[0x00]).to_hex());
    assert_eq!(
        node_hash(&h(ROOTS[0]), &h(ROOTS[1])),
        Digest::of(&[&[1u8][..], &hex::decode(ROOTS[0]).unwrap(), &hex::decode(ROOTS[1]).unwrap()].concat())
    );
}

#[test]
fn roots_of_the_rfc_leaves() {
    let leaves = rfc_leaves();
    for (size, expected) in ROOTS.iter().enumerate().map(|(i, root)| (i + 1, h(root))) {
        assert_eq!(root(&leaves[..size]), expected, "size {size}");
    }
    assert_eq!(root(&leaves).to_hex(), "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
}

#[test]
fn tree_builder_matches_root_at_every_size() {
    let leaves: Vec<Digest> = (0u32..300).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let mut builder = TreeBuilder::new();
    assert_eq!(builder.root(), empty_root());
    for (n, leaf) in leaves.iter().enumerate() {
        builder.push(*leaf);
        assert_eq!(builder.size(), n as u64 + 1);
        assert_eq!(builder.subtrees().len(), builder.size().count_ones() as usize);
        assert_eq!(builder.root(), root(&leaves[..=n]), "size {}", n + 1);
    }

    // Resuming from the saved state continues the same tree.
    let mut resumed = TreeBuilder::new();
    leaves[..137].iter().for_each(|leaf| resumed.push(*leaf));
    let mut resumed = TreeBuilder::from_parts(resumed.size(), resumed.subtrees().to_vec()).unwrap();
    leaves[137..].iter().for_each(|leaf| resumed.push(*leaf));
    assert_eq!(resumed, builder);

    assert_eq!(
        TreeBuilder::from_parts(6, vec![empty_root()]),
        Err(ProofError::WrongSubtreeCount { size: 6, expected: 2, actual: 1 })
    );
}

// --- Known-answer proofs -------------------------------------------------------------------

#[test]
fn inclusion_proofs_match_the_reference_vectors() {
    let leaves = rfc_leaves();
    for &(index, size, expected) in INCLUSION {
        let proof = inclusion_proof(&leaves, index, size).unwrap();
        assert_eq!(proof, hashes(expected), "PATH({index}, D[{size}])");
        let root = h(ROOTS[size as usize - 1]);
        verify_inclusion(&leaves[index as usize], index, size, &proof, &root).unwrap();
    }
}

#[test]
fn consistency_proofs_match_the_reference_vectors() {
    let leaves = rfc_leaves();
    for &(old_size, new_size, expected) in CONSISTENCY {
        let proof = consistency_proof(&leaves, old_size, new_size).unwrap();
        assert_eq!(proof, hashes(expected), "PROOF({old_size}, D[{new_size}])");
        let old_root = h(ROOTS[old_size as usize - 1]);
        let new_root = h(ROOTS[new_size as usize - 1]);
        verify_consistency(old_size, new_size, &old_root, &new_root, &proof).unwrap();
    }
}

// --- Tampering -----------------------------------------------------------------------------

/// Inputs to one inclusion check that must fail.
struct InclusionProbe {
    what: String,
    index: u64,
    size: u64,
    leaf: Digest,
    root: Digest,
    proof: Vec<Digest>,
}

/// Every way of getting an inclusion check wrong that transparency-dev/merkle probes:
/// wrong index, wrong size, wrong leaf or root, extra, missing or altered hashes.
fn inclusion_probes(index: u64, size: u64, leaf: Digest, root: Digest, proof: &[Digest]) -> Vec<InclusionProbe> {
    let probe = |what: &str, index: u64, size: u64, leaf: Digest, root: Digest, proof: Vec<Digest>| InclusionProbe {
        what: what.to_owned(),
        index,
        size,
        leaf,
        root,
        proof,
    };
    let mut probes = vec![
        probe("index - 1", index.wrapping_sub(1), size, leaf, root, proof.to_vec()),
        probe("index + 1", index + 1, size, leaf, root, proof.to_vec()),
        probe("index ^ 2", index ^ 2, size, leaf, root, proof.to_vec()),
        probe("size * 2", index, size * 2, leaf, root, proof.to_vec()),
        probe("size / 2", index, size / 2, leaf, root, proof.to_vec()),
        probe("wrong leaf", index, size, leaf_hash(b"WrongLeaf"), root, proof.to_vec()),
        probe("empty root", index, size, leaf, empty_root(), proof.to_vec()),
        probe("random root", index, size, leaf, some_hash(), proof.to_vec()),
        probe("trailing root", index, size, leaf, root, [proof, &[root]].concat()),
        probe("preceding root", index, size, leaf, root, [&[root], proof].concat()),
    ];
    for i in 0..proof.len() {
        let mut altered = proof.to_vec();
        altered[i] = flip(&altered[i], 0, 8);
        probes.push(probe(&format!("proof[{i}] bit 3"), index, size, leaf, root, altered));
    }
    if let Some((_, rest)) = proof.split_last() {
        probes.push(probe("removed hash", index, size, leaf, root, rest.to_vec()));
    }
    if proof.len() > 1 {
        let inserted = [&proof[..1], &[some_hash()], &proof[1..]].concat();
        probes.push(probe("inserted hash", index, size, leaf, root, inserted));
    }
    probes
}

#[test]
fn tampered_inclusion_proofs_fail() {
    let leaves = rfc_leaves();
    for &(index, size, expected) in INCLUSION {
        let leaf = leaves[index as usize];
        let root = h(ROOTS[size as usize - 1]);
        for p in inclusion_probes(index, size, leaf, root, &hashes(expected)) {
            let result = verify_inclusion(&p.leaf, p.index, p.size, &p.proof, &p.root);
            assert!(result.is_err(), "{} verified at ({}, {})", p.what, p.index, p.size);
        }
    }
}

/// Inputs to one consistency check.
struct ConsistencyProbe {
    what: String,
    old_size: u64,
    new_size: u64,
    old_root: Digest,
    new_root: Digest,
    proof: Vec<Digest>,
}

fn consistency_probe(what: &str, sizes: (u64, u64), roots: (Digest, Digest), proof: &[Digest]) -> ConsistencyProbe {
    ConsistencyProbe {
        what: what.to_owned(),
        old_size: sizes.0,
        new_size: sizes.1,
        old_root: roots.0,
        new_root: roots.1,
        proof: proof.to_vec(),
    }
}

#[test]
fn tampered_consistency_proofs_fail() {
    for &(m, n, expected) in CONSISTENCY.iter().filter(|(_, _, proof)| !proof.is_empty()) {
        let proof = hashes(expected);
        let (r1, r2) = (h(ROOTS[m as usize - 1]), h(ROOTS[n as usize - 1]));
        verify_consistency(m, n, &r1, &r2, &proof).unwrap();
        let wrong = leaf_hash(b"WrongRoot");
        let mut probes = vec![
            consistency_probe("old size - 1", (m - 1, n), (r1, r2), &proof),
            consistency_probe("old size + 1", (m + 1, n), (r1, r2), &proof),
            consistency_probe("old size ^ 2", (m ^ 2, n), (r1, r2), &proof),
            consistency_probe("new size * 2", (m, n * 2), (r1, r2), &proof),
            consistency_probe("new size / 2", (m, n / 2), (r1, r2), &proof),
            consistency_probe("wrong old root", (m, n), (wrong, r2), &proof),
            consistency_probe("wrong new root", (m, n), (r1, wrong), &proof),
            consistency_probe("swapped roots", (m, n), (r2, r1), &proof),
            consistency_probe("empty proof", (m, n), (r1, r2), &[]),
            consistency_probe("trailing old root", (m, n), (r1, r2), &[&proof[..], &[r1]].concat()),
            consistency_probe("trailing new root", (m, n), (r1, r2), &[&proof[..], &[r2]].concat()),
            consistency_probe("preceding old root", (m, n), (r1, r2), &[&[r1], &proof[..]].concat()),
            consistency_probe("preceding new root", (m, n), (r1, r2), &[&[r2], &proof[..]].concat()),
            consistency_probe("preceding proof[0]", (m, n), (r1, r2), &[&proof[..1], &proof[..]].concat()),
            consistency_probe("truncated", (m, n), (r1, r2), &proof[..proof.len() - 1]),
        ];
        for i in 0..proof.len() {
            let mut altered = proof.clone();
            altered[i] = flip(&altered[i], 0, 16);
            probes.push(consistency_probe(&format!("proof[{i}] bit 4"), (m, n), (r1, r2), &altered));
        }
        for p in probes {
            let result = verify_consistency(p.old_size, p.new_size, &p.old_root, &p.new_root, &p.proof);
            assert!(result.is_err(), "{} verified at ({}, {})", p.what, p.old_size, p.new_size);
        }
    }
}

#[test]
fn inclusion_edge_cases() {
    // Index outside the tree, with or without a plausible root.
    for (index, size) in [(0, 0), (1, 0), (1, 1), (2, 1)] {
        for root in [empty_root(), some_hash()] {
            assert!(verify_inclusion(&some_hash(), index, size, &[], &root).is_err(), "({index}, {size})");
        }
    }
    assert_eq!(
        verify_inclusion(&some_hash(), 3, 3, &[], &some_hash()),
        Err(ProofError::IndexOutOfRange { index: 3, size: 3 })
    );
    // A one-leaf tree: the root is the leaf hash and the proof is empty.
    let leaf = leaf_hash(b"data");
    verify_inclusion(&leaf, 0, 1, &[], &leaf).unwrap();
    assert!(verify_inclusion(&leaf, 0, 1, &[], &some_hash()).is_err());
    assert!(verify_inclusion(&some_hash(), 0, 1, &[], &leaf).is_err());
    // Huge sizes do not overflow the length arithmetic.
    assert!(verify_inclusion(&leaf, u64::MAX - 1, u64::MAX, &[], &leaf).is_err());

    let leaves = rfc_leaves();
    assert_eq!(inclusion_proof(&leaves, 8, 8), Err(ProofError::IndexOutOfRange { index: 8, size: 8 }));
    assert_eq!(inclusion_proof(&leaves, 0, 9), Err(ProofError::SizeBeyondLeaves { size: 9, available: 8 }));
    assert_eq!(
        inclusion_proof(&leaves, 0, u64::MAX),
        Err(ProofError::SizeBeyondLeaves { size: u64::MAX, available: 8 })
    );
    assert_eq!(inclusion_proof(&leaves, 0, 0), Err(ProofError::IndexOutOfRange { index: 0, size: 0 }));
}

#[test]
fn consistency_edge_cases() {
    let (r1, r2) = (leaf_hash(b"don't care 1"), leaf_hash(b"don't care 2"));
    let e = empty_root();
    // (sizes, roots, proof, ok), after transparency-dev/merkle's TestVerifyConsistency.
    let cases = [
        (consistency_probe("different roots, both empty", (0, 0), (r1, r2), &[]), false),
        (consistency_probe("different roots, same size", (1, 1), (r1, r2), &[]), false),
        // Sizes that are always consistent.
        (consistency_probe("same root, both empty", (0, 0), (r1, r1), &[]), true),
        (consistency_probe("from the empty tree", (0, 1), (r1, r2), &[]), true),
        (consistency_probe("same root, same size", (1, 1), (r2, r2), &[]), true),
        // Time travel to the past.
        (consistency_probe("1 to 0", (1, 0), (r1, r2), &[]), false),
        (consistency_probe("2 to 1", (2, 1), (r1, r2), &[]), false),
        // Empty proof.
        (consistency_probe("empty proof", (1, 2), (r1, r2), &[]), false),
        // Roots do not match.
        (consistency_probe("empty root vs other, size 0", (0, 0), (e, r2), &[]), false),
        (consistency_probe("empty root vs other, size 1", (1, 1), (e, r2), &[]), false),
        // Roots match but the proof is not empty.
        (consistency_probe("needless proof, 0 to 0", (0, 0), (e, e), &[e]), false),
        (consistency_probe("needless proof, 0 to 1", (0, 1), (e, e), &[e]), false),
        (consistency_probe("needless proof, 1 to 1", (1, 1), (e, e), &[e]), false),
    ];
    for (p, ok) in cases {
        let result = verify_consistency(p.old_size, p.new_size, &p.old_root, &p.new_root, &p.proof);
        assert_eq!(result.is_ok(), ok, "{}: {result:?}", p.what);
    }

    let leaves = rfc_leaves();
    assert_eq!(consistency_proof(&leaves, 0, 8), Ok(vec![]));
    assert_eq!(consistency_proof(&leaves, 8, 8), Ok(vec![]));
    assert_eq!(consistency_proof(&leaves, 5, 4), Err(ProofError::SizesOutOfOrder { old_size: 5, new_size: 4 }));
    assert_eq!(consistency_proof(&leaves, 1, 9), Err(ProofError::SizeBeyondLeaves { size: 9, available: 8 }));
    assert!(verify_consistency(u64::MAX - 1, u64::MAX, &r1, &r2, &[r1]).is_err());
}

// --- ct-merkle as an oracle ------------------------------------------------------------------

fn to_ct(hash: &Digest) -> ct_merkle::digest::Output<Sha256> {
    (*hash.as_bytes()).into()
}

fn from_ct_bytes(bytes: &[u8]) -> Vec<Digest> {
    bytes.chunks(32).map(|chunk| Digest::from_slice(chunk).unwrap()).collect()
}

/// Checks our roots and proofs against ct-merkle for a tree of `data`, for the
/// inclusion of every `index` and the consistency from every `old_size` given.
fn check_against_oracle(data: &[Vec<u8>], indices: &[u64], old_sizes: &[u64]) {
    let leaves: Vec<Digest> = data.iter().map(|item| leaf_hash(item)).collect();
    let size = data.len() as u64;
    let mut oracle = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    data.iter().for_each(|item| oracle.push(item.clone()));
    let oracle_root = oracle.root();
    let our_root = root(&leaves);
    assert_eq!(our_root.as_bytes()[..], oracle_root.as_bytes()[..], "root at size {size}");

    for &index in indices {
        let ours = inclusion_proof(&leaves, index, size).unwrap();
        let theirs = oracle.prove_inclusion(index as usize);
        assert_eq!(ours, from_ct_bytes(theirs.as_bytes()), "PATH({index}, D[{size}])");
        verify_inclusion(&leaves[index as usize], index, size, &ours, &our_root).unwrap();
        let ours_for_ct = InclusionProof::<Sha256>::from_digests(ours.iter().map(to_ct).collect::<Vec<_>>().iter());
        oracle_root.verify_inclusion(&data[index as usize], index, &ours_for_ct).unwrap();
    }

    for &old_size in old_sizes {
        let ours = consistency_proof(&leaves, old_size, size).unwrap();
        let theirs = oracle.prove_consistency((size - old_size) as usize);
        assert_eq!(ours, from_ct_bytes(theirs.as_bytes()), "PROOF({old_size}, D[{size}])");
        let old_root = root(&leaves[..old_size as usize]);
        verify_consistency(old_size, size, &old_root, &our_root, &ours).unwrap();
        let ours_for_ct = ConsistencyProof::<Sha256>::from_digests(ours.iter().map(to_ct).collect::<Vec<_>>().iter());
        oracle_root.verify_consistency(&RootHash::new(to_ct(&old_root), old_size), &ours_for_ct).unwrap();
    }
}

#[test]
fn every_proof_up_to_size_64_matches_ct_merkle() {
    let data: Vec<Vec<u8>> = (0u8..64).map(|i| vec![i; usize::from(i % 5)]).collect();
    for size in 1..=data.len() {
        let indices: Vec<u64> = (0..size as u64).collect();
        let old_sizes: Vec<u64> = (1..=size as u64).collect();
        check_against_oracle(&data[..size], &indices, &old_sizes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random contents and sizes beyond the exhaustive range, random positions.
    #[test]
    fn random_trees_match_ct_merkle(
        data in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16), 1..1500),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..8),
    ) {
        let size = data.len();
        let indices: Vec<u64> = picks.iter().map(|pick| pick.index(size) as u64).collect();
        let old_sizes: Vec<u64> = picks.iter().map(|pick| pick.index(size) as u64 + 1).collect();
        check_against_oracle(&data, &indices, &old_sizes);
    }

    /// A proof with one flipped bit, or checked against the wrong index, never verifies.
    #[test]
    fn altered_proofs_fail(
        size in 2u64..600,
        pick in any::<prop::sample::Index>(),
        element in any::<prop::sample::Index>(),
        byte in 0usize..32,
        bit in 0u8..8,
    ) {
        let leaves: Vec<Digest> = (0..size).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        let tree_root = root(&leaves);
        let index = pick.index(size as usize) as u64;
        let mut proof = inclusion_proof(&leaves, index, size).unwrap();
        prop_assert!(verify_inclusion(&leaves[index as usize], index, size, &proof, &tree_root).is_ok());
        let other = (index + 1) % size;
        prop_assert!(verify_inclusion(&leaves[index as usize], other, size, &proof, &tree_root).is_err());
        let at = element.index(proof.len());
        proof[at] = flip(&proof[at], byte, 1 << bit);
        prop_assert!(verify_inclusion(&leaves[index as usize], index, size, &proof, &tree_root).is_err());

        let old_size = index + 1;
        if old_size < size {
            let mut proof = consistency_proof(&leaves, old_size, size).unwrap();
            let old_root = root(&leaves[..old_size as usize]);
            prop_assert!(verify_consistency(old_size, size, &old_root, &tree_root, &proof).is_ok());
            let at = element.index(proof.len());
            proof[at] = flip(&proof[at], byte, 1 << bit);
            prop_assert!(verify_consistency(old_size, size, &old_root, &tree_root, &proof).is_err());
        }
    }
}
