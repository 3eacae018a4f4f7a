/**
 * Python shared by the probes' numpy references (probeStats, probeSamples): the seeded generator the
 * permutation tests draw from (util/random.ts's mulberry32, written again from its definition so
 * Python replays the same draws) and Holm's step-down correction from its textbook form.
 */
export const PY_MULBERRY32 = String.raw`
def mulberry32(seed):
    a = seed & 0xFFFFFFFF
    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296.0
    return nxt
`;

export const PY_HOLM = String.raw`
def holm(p):
    p = np.asarray(p, dtype=np.float64)
    m = len(p)
    order = np.argsort(p, kind="stable")
    out = np.empty(m)
    out[order] = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    return out
`;
