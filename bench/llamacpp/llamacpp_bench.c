// llama.cpp anchor for bench/llamacpp.sh: loads a GGUF through llama.cpp's C API and measures what
// `selftaught bench decode` measures on the same file: load time, resident memory after load,
// prefill of a P-token prompt in one llama_decode call, greedy decode of N tokens from BOS with
// one stream, and S streams decoded together (one token per stream per llama_decode call).
//
// The library is the one the de.kherud:llama test dependency bundles (libjllama.so, llama.cpp
// built for CPU, C API exported), opened with dlopen: nothing of llama.cpp is compiled in, and the
// project never depends on it at run time. The few declarations below restate the C API of that
// build (llama.h, mid-2025); the program checks the context-parameter defaults it relies on
// before touching them.
//
// Build: cc -O2 -o llamacpp_bench llamacpp_bench.c -ldl
// Usage: llamacpp_bench LIB MODEL THREADS PROMPT_TOKENS DECODE_TOKENS STREAMS RUNS
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { unsigned char bytes[2048]; } params_blob;   // larger than either params struct
typedef struct {
    int32_t n_tokens;
    int32_t *token;
    float *embd;
    int32_t *pos;
    int32_t *n_seq_id;
    int32_t **seq_id;
    int8_t *logits;
} llama_batch;

static void (*backend_init)(void);
static void (*log_set)(void *, void *);
static params_blob (*model_default_params)(void);
static params_blob (*context_default_params)(void);
static void *(*model_load)(const char *, params_blob);
static void *(*init_from_model)(void *, params_blob);
static void (*set_n_threads)(void *, int32_t, int32_t);
static int32_t (*decode)(void *, llama_batch);
static float *(*get_logits_ith)(void *, int32_t);
static llama_batch (*batch_init)(int32_t, int32_t, int32_t);
static void (*kv_clear)(void *);
static const void *(*model_get_vocab)(const void *);
static int32_t (*vocab_n_tokens)(const void *);
static int32_t (*vocab_bos)(const void *);

static void *sym(void *lib, const char *name) {
    void *p = dlsym(lib, name);
    if (!p) { fprintf(stderr, "llamacpp_bench: %s not found in the library\n", name); exit(2); }
    return p;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static long status_kib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) == 0) v = atol(line + strlen(key));
    }
    if (f) fclose(f);
    return v;
}

static void quiet(int level, const char *text, void *user) { (void) level; (void) text; (void) user; }

static int argmax(const float *l, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (l[i] > l[best]) best = i;
    return best;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: llamacpp_bench LIB MODEL THREADS PROMPT_TOKENS DECODE_TOKENS STREAMS RUNS\n");
        return 2;
    }
    const char *model_path = argv[2];
    int threads = atoi(argv[3]), prompt = atoi(argv[4]), tokens = atoi(argv[5]), streams = atoi(argv[6]), runs = atoi(argv[7]);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "llamacpp_bench: cannot open %s: %s\n", argv[1], dlerror()); return 2; }
    backend_init = sym(lib, "llama_backend_init");
    log_set = sym(lib, "llama_log_set");
    model_default_params = sym(lib, "llama_model_default_params");
    context_default_params = sym(lib, "llama_context_default_params");
    model_load = sym(lib, "llama_model_load_from_file");
    init_from_model = sym(lib, "llama_init_from_model");
    set_n_threads = sym(lib, "llama_set_n_threads");
    decode = sym(lib, "llama_decode");
    get_logits_ith = sym(lib, "llama_get_logits_ith");
    batch_init = sym(lib, "llama_batch_init");
    kv_clear = sym(lib, "llama_kv_self_clear");
    model_get_vocab = sym(lib, "llama_model_get_vocab");
    vocab_n_tokens = sym(lib, "llama_vocab_n_tokens");
    vocab_bos = sym(lib, "llama_vocab_bos");

    log_set((void *) quiet, NULL);
    backend_init();
    double t0 = now();
    void *model = model_load(model_path, model_default_params());
    if (!model) { fprintf(stderr, "llamacpp_bench: cannot load %s\n", model_path); return 2; }
    double load = now() - t0;
    long rss_load = status_kib("VmRSS:");
    const void *vocab = model_get_vocab(model);
    int n_vocab = vocab_n_tokens(vocab), bos = vocab_bos(vocab);

    // llama_context_params begins: uint32 n_ctx, n_batch, n_ubatch, n_seq_max; int32 n_threads, n_threads_batch
    params_blob cp = context_default_params();
    uint32_t *u = (uint32_t *) cp.bytes;
    if (u[0] != 512 || u[1] != 2048 || u[2] != 512 || u[3] != 1) {
        fprintf(stderr, "llamacpp_bench: unexpected context defaults n_ctx %u n_batch %u n_ubatch %u n_seq_max %u: this build's llama.h differs\n",
                u[0], u[1], u[2], u[3]);
        return 2;
    }
    int need = prompt + 8;
    if (streams * (tokens + 1) > need) need = streams * (tokens + 1);
    u[0] = (uint32_t) (need + 256);
    u[1] = u[2] = (uint32_t) (prompt > 512 ? prompt : 512);
    u[3] = (uint32_t) (streams > 1 ? streams : 1);
    ((int32_t *) cp.bytes)[4] = threads;
    ((int32_t *) cp.bytes)[5] = threads;
    void *ctx = init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "llamacpp_bench: cannot create a context\n"); return 2; }
    set_n_threads(ctx, threads, threads);
    long rss_ctx = status_kib("VmRSS:");

    int rows = prompt > streams ? prompt : streams;
    llama_batch b = batch_init(rows, 0, streams > 1 ? streams : 1);
    double best_prefill = 0, best_decode = 0, best_multi = 0;
    int first[16];
    for (int run = 0; run <= runs; run++) {       // run 0 warms up
        // prefill: the same deterministic ids as the Java benchmark
        kv_clear(ctx);
        b.n_tokens = prompt;
        for (int i = 0; i < prompt; i++) {
            b.token[i] = (int32_t) ((i * 7919L + 13) % n_vocab);
            b.pos[i] = i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0; b.logits[i] = i == prompt - 1;
        }
        double s = now();
        if (decode(ctx, b) != 0) { fprintf(stderr, "llamacpp_bench: prefill failed\n"); return 1; }
        double p = prompt / (now() - s);
        // one stream from BOS
        kv_clear(ctx);
        int tok = bos;
        s = now();
        for (int i = 0; i < tokens; i++) {
            b.n_tokens = 1;
            b.token[0] = tok; b.pos[0] = i; b.n_seq_id[0] = 1; b.seq_id[0][0] = 0; b.logits[0] = 1;
            if (decode(ctx, b) != 0) { fprintf(stderr, "llamacpp_bench: decode failed\n"); return 1; }
            tok = argmax(get_logits_ith(ctx, 0), n_vocab);
            if (i < 16) first[i] = tok;
        }
        double d = tokens / (now() - s);
        // S streams together, each from BOS
        double m = 0;
        if (streams > 1) {
            kv_clear(ctx);
            int cur[256];
            for (int k = 0; k < streams; k++) cur[k] = bos;
            s = now();
            for (int i = 0; i < tokens; i++) {
                b.n_tokens = streams;
                for (int k = 0; k < streams; k++) {
                    b.token[k] = cur[k]; b.pos[k] = i; b.n_seq_id[k] = 1; b.seq_id[k][0] = k; b.logits[k] = 1;
                }
                if (decode(ctx, b) != 0) { fprintf(stderr, "llamacpp_bench: batched decode failed\n"); return 1; }
                for (int k = 0; k < streams; k++) cur[k] = argmax(get_logits_ith(ctx, k), n_vocab);
            }
            m = (double) streams * tokens / (now() - s);
        }
        fprintf(stderr, "llama.cpp run %d: prefill %.1f tok/s, decode %.2f tok/s, %d streams %.1f tok/s\n", run, p, d, streams, m);
        if (run > 0) {
            if (p > best_prefill) best_prefill = p;
            if (d > best_decode) best_decode = d;
            if (m > best_multi) best_multi = m;
        }
    }
    printf("load_s %.2f\nrss_after_load_mb %ld\nrss_after_context_mb %ld\npeak_rss_mb %ld\n", load, rss_load / 1024, rss_ctx / 1024,
           status_kib("VmHWM:") / 1024);
    printf("first_tokens");
    for (int i = 0; i < (tokens < 16 ? tokens : 16); i++) printf(" %d", first[i]);
    printf("\nprefill_tps %.1f\ndecode_tps %.2f\nstreams_tps %.1f\n", best_prefill, best_decode, best_multi);
    return 0;
}
