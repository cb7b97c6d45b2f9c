package dev.selftaught.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.engine.format.ModelFormatException;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.train.LoraAdapter;
import dev.selftaught.engine.train.PeftAdapter;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.embedded.EmbeddedModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runtime LoRA for {@code selftaught serve} ({@code --lora-root}): vLLM's
 * {@code POST /v1/load_lora_adapter {"lora_name", "lora_path"}} reads a PEFT adapter directory
 * (adapter_config.json + adapter_model.safetensors) onto the served embedded base and serves the
 * result under {@code lora_name} beside the base; {@code POST /v1/unload_lora_adapter {"lora_name"}}
 * removes it. Requests choose it by {@code "model": lora_name}.
 *
 * <p>Each adapter is folded into its own copy of the base weights ({@code W + (alpha/r)·B·A}) and
 * decoded by its own continuous-batching generator, so a request on one adapter never sees another's
 * weights; the price is a float copy of the weights per adapter, hence the bound {@code maxAdapters}.
 * Paths must lie under {@code root} (after resolving links) and the files are size-checked before
 * they are read: a client cannot make the server read arbitrary files or fill its memory.
 */
final class LoraAdapters {
    static final long MAX_CONFIG_BYTES = 1 << 20;

    private final EmbeddedModel base;
    private final String baseName;
    private final Path root;
    private final int maxAdapters;
    private final long maxWeightBytes;
    private final int threads;
    private final Map<String, Entry> loaded = new LinkedHashMap<>();

    /** A loaded adapter and the completions using it (it is closed when unloaded and idle). */
    private static final class Entry {
        final LanguageModel model;
        int users;
        boolean unloaded;

        Entry(LanguageModel model) { this.model = model; }
    }

    LoraAdapters(LanguageModel base, String baseName, Path root, int maxAdapters, long maxWeightBytes, int threads) {
        if (!(base instanceof EmbeddedModel e)) {
            throw new dev.selftaught.data.InputError("--lora-root: runtime LoRA needs an embedded: model to put adapters on");
        }
        this.base = e;
        this.baseName = baseName;
        try {
            this.root = root.toRealPath();
        } catch (IOException ex) {
            throw new dev.selftaught.data.InputError("--lora-root " + root + ": not a readable directory (" + ex.getMessage() + ")");
        }
        this.maxAdapters = maxAdapters;
        this.maxWeightBytes = maxWeightBytes;
        this.threads = threads;
    }

    synchronized List<String> names() { return new ArrayList<>(loaded.keySet()); }

    /** The adapter's model for one request, counted as in use until {@link #release}; null when no such adapter. */
    synchronized LanguageModel acquire(String name) {
        Entry e = loaded.get(name);
        if (e == null) return null;
        e.users++;
        return e.model;
    }

    synchronized void release(String name, LanguageModel model) {
        Entry e = loaded.get(name);
        if (e == null || e.model != model) e = retired.get(model);
        if (e == null) return;
        if (--e.users == 0 && e.unloaded) {
            retired.remove(model);
            model.close();
        }
    }

    private final Map<LanguageModel, Entry> retired = new java.util.IdentityHashMap<>();

    /** POST /v1/load_lora_adapter. */
    void load(JsonNode body) {
        String name = name(body);
        JsonNode p = body.get("lora_path");
        if (p == null || !p.isTextual() || p.asText().isEmpty() || p.asText().length() > 4096) {
            throw ApiError.badParam("lora_path", "lora_path must be a non-empty string (a PEFT adapter directory) of at most 4096 characters");
        }
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("lora_name") && !f.equals("lora_path")) throw ApiError.badParam(f, "unknown field '" + LogLine.escape(f) + "'; give lora_name and lora_path");
        }
        synchronized (this) {
            if (name.equals(baseName) || loaded.containsKey(name)) {
                throw ApiError.badParam("lora_name", "the name '" + name + "' is already served; unload it first or choose another");
            }
            if (loaded.size() >= maxAdapters) {
                throw ApiError.badParam("lora_name", maxAdapters + " adapters are loaded, the most this server holds (--max-loras); unload one first");
            }
        }
        Path dir = checkedDir(p.asText());
        LanguageModel m;
        try {
            LoadedModel b = base.loadedModel();
            LoraAdapter a = PeftAdapter.read(dir, b.config());
            List<Path> files = new ArrayList<>(b.files());
            files.add(dir.resolve(PeftAdapter.CONFIG));
            files.add(dir.resolve(PeftAdapter.WEIGHTS));
            LoadedModel merged = new LoadedModel(b.config(), a.mergeInto(b.weights()), b.tokenizer(), b.chatTemplate(), files);
            m = new EmbeddedModel(merged, dir, threads);
        } catch (ModelFormatException e) {
            throw ApiError.badParam("lora_path", "not a LoRA adapter for this model: " + oneLine(e));
        } catch (IOException e) {
            throw ApiError.badParam("lora_path", "cannot read the adapter: " + oneLine(e));
        }
        synchronized (this) {
            if (loaded.size() >= maxAdapters || loaded.containsKey(name)) { // another load won the race
                m.close();
                throw ApiError.badParam("lora_name", "the name '" + name + "' is already served, or the server holds --max-loras adapters");
            }
            loaded.put(name, new Entry(m));
        }
    }

    /** POST /v1/unload_lora_adapter; completions still using it finish first. */
    void unload(JsonNode body) {
        String name = name(body);
        synchronized (this) {
            Entry e = loaded.remove(name);
            if (e == null) {
                throw new ApiError(404, "invalid_request_error", "lora_name", "model_not_found", "no adapter named '" + name + "' is loaded");
            }
            e.unloaded = true;
            if (e.users == 0) e.model.close();
            else retired.put(e.model, e);
        }
    }

    synchronized void closeAll() {
        for (Entry e : loaded.values()) e.model.close();
        loaded.clear();
    }

    private static String name(JsonNode body) {
        JsonNode n = body.get("lora_name");
        if (n == null || !n.isTextual() || !n.asText().matches("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")) {
            throw ApiError.badParam("lora_name", "lora_name must be 1-128 characters of letters, digits and . _ : - (starting with a letter or digit)");
        }
        return n.asText();
    }

    /** The adapter directory, resolved (links followed) and under the root; its files present and within the size limits. */
    private Path checkedDir(String path) {
        Path dir;
        try {
            dir = Path.of(path).toRealPath();
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw ApiError.badParam("lora_path", "no such directory: " + LogLine.escape(path));
        }
        if (!dir.startsWith(root)) {
            throw new ApiError(403, "invalid_request_error", "lora_path", "forbidden", "lora_path must be under this server's --lora-root");
        }
        if (!Files.isDirectory(dir)) throw ApiError.badParam("lora_path", "lora_path must be a directory holding adapter_config.json and adapter_model.safetensors");
        check(dir.resolve(PeftAdapter.CONFIG), MAX_CONFIG_BYTES);
        check(dir.resolve(PeftAdapter.WEIGHTS), maxWeightBytes);
        return dir;
    }

    private void check(Path f, long max) {
        try {
            Path real = f.toRealPath();
            if (!real.startsWith(root) || !Files.isRegularFile(real)) throw ApiError.badParam("lora_path", f.getFileName() + " must be a regular file under --lora-root");
            long size = Files.size(real);
            if (size > max) throw ApiError.badParam("lora_path", f.getFileName() + " is " + size + " bytes, more than the " + max + " allowed");
        } catch (IOException e) {
            throw ApiError.badParam("lora_path", "the adapter has no " + f.getFileName());
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }
}
