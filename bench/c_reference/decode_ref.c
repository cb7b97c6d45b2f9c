/*
 * Hand-written C reference for the llama2.c checkpoint format, used only to compare the
 * engine's decode speed with plain C on the same machine (bench/c_reference.sh).
 * Single-threaded, no intrinsics: build with gcc -O3 -march=native and let it vectorise.
 *
 * Usage: decode_ref MODEL.bin [TOKENS] [RUNS]
 * Prints the first 40 greedy ids from BOS (id 1), then times TOKENS greedy steps per run
 * and prints the best run as "tokens/s: X".
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int dim, hidden, layers, heads, kv_heads, vocab, seq_len;
    int head_size, kv_dim;
    float *emb, *rms_att, *wq, *wk, *wv, *wo, *rms_ffn, *w1, *w2, *w3, *rms_final, *cls;
    float *data;
    /* activations and KV cache */
    float *x, *xb, *xb2, *q, *h1, *h3, *att, *logits, *kcache, *vcache;
} Model;

static void die(const char *msg) { fprintf(stderr, "decode_ref: %s\n", msg); exit(1); }

static void load(Model *m, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open model");
    int32_t h[7];
    if (fread(h, sizeof(int32_t), 7, f) != 7) die("short header");
    m->dim = h[0]; m->hidden = h[1]; m->layers = h[2]; m->heads = h[3]; m->kv_heads = h[4];
    int shared = h[5] > 0;
    m->vocab = abs(h[5]); m->seq_len = h[6];
    m->head_size = m->dim / m->heads;
    m->kv_dim = m->head_size * m->kv_heads;
    fseek(f, 0, SEEK_END);
    long size = ftell(f) - 7 * (long)sizeof(int32_t);
    fseek(f, 7 * (long)sizeof(int32_t), SEEK_SET);
    m->data = malloc(size);
    if (!m->data || fread(m->data, 1, size, f) != (size_t)size) die("cannot read weights");
    fclose(f);
    long D = m->dim, H = m->hidden, L = m->layers, V = m->vocab, KV = m->kv_dim;
    float *p = m->data;
    m->emb = p; p += V * D;
    m->rms_att = p; p += L * D;
    m->wq = p; p += L * D * D;
    m->wk = p; p += L * KV * D;
    m->wv = p; p += L * KV * D;
    m->wo = p; p += L * D * D;
    m->rms_ffn = p; p += L * D;
    m->w1 = p; p += L * H * D;
    m->w2 = p; p += L * D * H;
    m->w3 = p; p += L * H * D;
    m->rms_final = p; p += D;
    p += (long)m->seq_len * m->head_size; /* two legacy RoPE tables of seq_len*head_size/2 */
    m->cls = shared ? m->emb : p;
    if (!shared) p += V * D;
    if ((char *)p - (char *)m->data > size) die("file shorter than the header implies");

    m->x = calloc(D, sizeof(float)); m->xb = calloc(D, sizeof(float));
    m->xb2 = calloc(D, sizeof(float)); m->q = calloc(D, sizeof(float));
    m->h1 = calloc(H, sizeof(float)); m->h3 = calloc(H, sizeof(float));
    m->att = calloc(m->seq_len, sizeof(float)); m->logits = calloc(V, sizeof(float));
    m->kcache = calloc(L * m->seq_len * KV, sizeof(float));
    m->vcache = calloc(L * m->seq_len * KV, sizeof(float));
}

static void rmsnorm(float *restrict out, const float *restrict in, const float *restrict w, int n) {
    float ss = 0.0f;
    for (int i = 0; i < n; i++) ss += in[i] * in[i];
    float s = 1.0f / sqrtf(ss / n + 1e-5f);
    for (int i = 0; i < n; i++) out[i] = w[i] * (in[i] * s);
}

/* out[rows] = W[rows][cols] * in[cols] */
static void matvec(float *restrict out, const float *restrict W, const float *restrict in, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        const float *row = W + (long)r * cols;
        /* 8 independent partial sums: without -ffast-math gcc will not reorder a single
           float accumulator, but it does vectorise these lanes. */
        float acc[8] = {0};
        int c = 0;
        for (; c + 8 <= cols; c += 8)
            for (int j = 0; j < 8; j++) acc[j] += row[c + j] * in[c + j];
        float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; c < cols; c++) sum += row[c] * in[c];
        out[r] = sum;
    }
}

/* Rotate adjacent pairs (i, i+1) of each head by pos * freq(i), freq(i) = 1/10000^(i/head_size).
   cs holds cos/sin for the head_size/2 pair positions, computed once per token. */
static void rope(float *restrict v, int n, int head_size, const float *restrict cs) {
    for (int h = 0; h < n; h += head_size)
        for (int i = 0; i < head_size; i += 2) {
            float c = cs[i], s = cs[i + 1];
            float v0 = v[h + i], v1 = v[h + i + 1];
            v[h + i] = v0 * c - v1 * s;
            v[h + i + 1] = v0 * s + v1 * c;
        }
}

static int forward_argmax(Model *m, int token, int pos) {
    int D = m->dim, H = m->hidden, KV = m->kv_dim, hs = m->head_size;
    int kv_mul = m->heads / m->kv_heads;
    memcpy(m->x, m->emb + (long)token * D, D * sizeof(float));
    float cs[hs];
    for (int i = 0; i < hs; i += 2) {
        float a = pos * (1.0f / powf(10000.0f, (float)i / (float)hs));
        cs[i] = cosf(a);
        cs[i + 1] = sinf(a);
    }
    for (int l = 0; l < m->layers; l++) {
        rmsnorm(m->xb, m->x, m->rms_att + (long)l * D, D);
        float *kc = m->kcache + ((long)l * m->seq_len) * KV;
        float *vc = m->vcache + ((long)l * m->seq_len) * KV;
        float *k = kc + (long)pos * KV, *v = vc + (long)pos * KV;
        matvec(m->q, m->wq + (long)l * D * D, m->xb, D, D);
        matvec(k, m->wk + (long)l * KV * D, m->xb, KV, D);
        matvec(v, m->wv + (long)l * KV * D, m->xb, KV, D);
        rope(m->q, D, hs, cs);
        rope(k, KV, hs, cs);
        float scale = 1.0f / sqrtf((float)hs);
        for (int h = 0; h < m->heads; h++) {
            const float *qh = m->q + h * hs;
            int kvh = h / kv_mul;
            float mx = -INFINITY;
            for (int t = 0; t <= pos; t++) {
                const float *kt = kc + (long)t * KV + kvh * hs;
                float s = 0.0f;
                for (int i = 0; i < hs; i++) s += qh[i] * kt[i];
                s *= scale;
                m->att[t] = s;
                if (s > mx) mx = s;
            }
            float sum = 0.0f;
            for (int t = 0; t <= pos; t++) { m->att[t] = expf(m->att[t] - mx); sum += m->att[t]; }
            float inv = 1.0f / sum;
            float *out = m->xb + h * hs;
            for (int i = 0; i < hs; i++) out[i] = 0.0f;
            for (int t = 0; t <= pos; t++) {
                const float *vt = vc + (long)t * KV + kvh * hs;
                float a = m->att[t] * inv;
                for (int i = 0; i < hs; i++) out[i] += a * vt[i];
            }
        }
        matvec(m->xb2, m->wo + (long)l * D * D, m->xb, D, D);
        for (int i = 0; i < D; i++) m->x[i] += m->xb2[i];

        rmsnorm(m->xb, m->x, m->rms_ffn + (long)l * D, D);
        matvec(m->h1, m->w1 + (long)l * H * D, m->xb, H, D);
        matvec(m->h3, m->w3 + (long)l * H * D, m->xb, H, D);
        for (int i = 0; i < H; i++) {
            float g = m->h1[i];
            m->h1[i] = g / (1.0f + expf(-g)) * m->h3[i];
        }
        matvec(m->xb2, m->w2 + (long)l * D * H, m->h1, D, H);
        for (int i = 0; i < D; i++) m->x[i] += m->xb2[i];
    }
    rmsnorm(m->xb, m->x, m->rms_final, D);
    matvec(m->logits, m->cls, m->xb, m->vocab, D);
    int best = 0;
    for (int i = 1; i < m->vocab; i++) if (m->logits[i] > m->logits[best]) best = i;
    return best;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage: decode_ref MODEL.bin [TOKENS] [RUNS]");
    int tokens = argc > 2 ? atoi(argv[2]) : 500;
    int runs = argc > 3 ? atoi(argv[3]) : 10;
    Model m;
    load(&m, argv[1]);
    if (tokens < 40 || tokens > m.seq_len) die("TOKENS must be in [40, seq_len]");
    printf("config dim=%d hidden=%d layers=%d heads=%d kv_heads=%d vocab=%d seq_len=%d\n",
           m.dim, m.hidden, m.layers, m.heads, m.kv_heads, m.vocab, m.seq_len);

    int token = 1;
    printf("greedy token ids from BOS: [");
    for (int pos = 0; pos < 40; pos++) {
        token = forward_argmax(&m, token, pos);
        printf(pos ? ", %d" : "%d", token);
    }
    printf("]\n");

    double best = 0.0;
    long checksum = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        token = 1;
        for (int pos = 0; pos < tokens; pos++) {
            token = forward_argmax(&m, token, pos);
            checksum += token;
        }
        double tps = tokens / (now() - t0);
        printf("run %d: %.1f tokens/s\n", r + 1, tps);
        if (tps > best) best = tps;
    }
    printf("checksum: %ld\n", checksum);
    printf("tokens/s: %.1f\n", best);
    return 0;
}
