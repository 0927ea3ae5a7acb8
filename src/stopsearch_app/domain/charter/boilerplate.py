"""Near-identical grounds across searches (rule G5): the similarity, vectorised.

Copy-and-paste ("canned") grounds are what consent-decree audits of stop records flag first: the same
words for different people on different days say the officer did not record what they saw. Each distinct
grounds text is normalised (lower case, numbers to ``0`` so times, dates and house numbers do not make
texts differ, punctuation dropped), cut into word shingles (``shingle_words`` words) and L2-normalised
into a scipy sparse matrix (a binary set of hashed shingles per text); the cosine similarity of every pair is one sparse product
per block of rows (no Python loop over pairs). Texts at or above ``threshold`` are linked, and the
connected components of those links are the groups of near-identical grounds.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

_NON_WORD = re.compile(r"[^a-z0]+")
_DIGITS = re.compile(r"\d+")
BUCKETS = 1 << 20  # hashed shingle features: collisions at this size are negligible for grounds texts
BLOCK_ROWS = 2048


def normalise(text: str) -> list[str]:
    return _NON_WORD.sub(" ", _DIGITS.sub("0", text.lower())).split()


def shingle_matrix(texts, shingle_words: int = 2) -> tuple[sparse.csr_matrix, np.ndarray]:
    """(binary shingle rows, L2-normalised, one per text; the number of words in each text)."""
    rows, columns, words = [], [], np.zeros(len(texts), dtype=np.int64)
    for index, text in enumerate(texts):  # one pass per distinct text, never per pair
        tokens = normalise(str(text))
        words[index] = len(tokens)
        grams = {" ".join(tokens[i:i + shingle_words]) for i in range(max(1, len(tokens) - shingle_words + 1))}
        grams.discard("")
        columns.extend(zlib.crc32(gram.encode()) % BUCKETS for gram in grams)
        rows.extend([index] * len(grams))
    data = np.ones(len(rows), dtype=np.float64)
    matrix = sparse.csr_matrix((data, (rows, columns)), shape=(len(texts), BUCKETS))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    # Binary shingle sets, not TF-IDF: IDF would make the verdict depend on what else was loaded (a
    # phrase every officer uses would look less alike the more records there are).
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ matrix, words


def similar_groups(texts, *, threshold: float = 0.8, min_words: int = 8, shingle_words: int = 2) -> np.ndarray:
    """Per distinct text, the id of its group of near-identical texts, or -1 (too short, or alike to no
    other distinct text). Identical texts are one distinct text: the caller counts their records."""
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    matrix, words = shingle_matrix(texts, shingle_words)
    eligible = words >= min_words
    matrix = sparse.diags(eligible.astype(np.float64)) @ matrix
    links = []
    for start in range(0, n, BLOCK_ROWS):
        block = matrix[start:start + BLOCK_ROWS] @ matrix.T
        block = block.tocoo()
        keep = (block.data >= threshold) & (block.row + start != block.col)
        links.append(sparse.coo_matrix((np.ones(int(keep.sum())), (block.row[keep] + start, block.col[keep])),
                                       shape=(n, n)))
    graph = sparse.csr_matrix(sum(links[1:], links[0]))
    _count, labels = connected_components(graph, directed=False)
    return np.where(eligible, labels, -1).astype(np.int64)
