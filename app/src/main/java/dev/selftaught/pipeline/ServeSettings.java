package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;

import java.util.List;
import java.util.Map;

/**
 * How the run serves the judges it needs (config section {@code serve}; docs/pipeline.md "Serving").
 *
 * @param mode                static (default: every model spec is used as given, servers are the user's),
 *                            launch (every model named by a checkpoint is served by {@code command}, started
 *                            for that judge's work and stopped after it), or lora (one long-lived server of the
 *                            seed; each round's PEFT adapter is loaded into it at run time)
 * @param command             launch / lora: the server command template, run by {@code /bin/sh -c}; placeholders
 *                            {@code {model}} (checkpoint path), {@code {port}}, {@code {name}} (served model name),
 *                            {@code {replica}} (0..replicas-1), each replaced by a shell-quoted value in one pass
 * @param replicas            launch: copies started per judge, each on its own port, all in one endpoint pool
 * @param env                 environment added to each server process; values may use the same placeholders
 *                            (e.g. {@code CUDA_VISIBLE_DEVICES: "{replica}"}), substituted unquoted
 * @param endpoints           lora: base URLs of an already-running server (then nothing is launched)
 * @param host                the address servers are reached at (and {@code {port}}s are chosen on)
 * @param firstPort           0 (default): each server gets a free port; else servers get firstPort, firstPort+1, ...
 *                            (a port another process holds is then an error naming it)
 * @param readyTimeoutSeconds how long a launched server may take until {@code GET /v1/models} lists its name
 * @param stopGraceSeconds    after SIGTERM, how long a server may take to exit before its process group gets SIGKILL
 * @param restarts            how many times a server that dies while in use is started again (per replica)
 */
public record ServeSettings(String mode, String command, int replicas, Map<String, String> env, List<String> endpoints,
                           String host, int firstPort, int readyTimeoutSeconds, int stopGraceSeconds, int restarts) {
    public static final List<String> MODES = List.of("static", "launch", "lora");
    public static final int READY_TIMEOUT_SECONDS = 600;
    public static final int STOP_GRACE_SECONDS = 30;
    public static final int RESTARTS = 2;
    public static final String HOST = "127.0.0.1";

    public ServeSettings {
        if (mode == null) mode = "static";
        if (!MODES.contains(mode)) {
            throw new InputError("serve.mode must be static, launch or lora; got '" + mode + "'"
                    + dev.selftaught.data.DidYouMean.hint(mode, MODES));
        }
        if (replicas <= 0) replicas = 1;
        if (replicas > 64) throw new InputError("serve.replicas must be in 1..64, got " + replicas);
        env = env == null ? Map.of() : Map.copyOf(env);
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        if (host == null || host.isBlank()) host = HOST;
        if (firstPort < 0 || firstPort > 65535 - replicas) throw new InputError("serve.first_port must be in 0.." + (65535 - replicas) + ", got " + firstPort);
        if (readyTimeoutSeconds <= 0) readyTimeoutSeconds = READY_TIMEOUT_SECONDS;
        if (stopGraceSeconds <= 0) stopGraceSeconds = STOP_GRACE_SECONDS;
        if (restarts < 0) throw new InputError("serve.restarts must be >= 0, got " + restarts);
        for (String k : env.keySet()) {
            if (!k.matches("[A-Za-z_][A-Za-z0-9_]*")) throw new InputError("serve.env: '" + k + "' is not an environment variable name");
        }
        boolean hasCommand = command != null && !command.isBlank();
        if (mode.equals("launch") && !hasCommand) {
            throw new InputError("serve.command is required with serve.mode launch: the command that serves {model} as {name} on {port}, "
                    + "e.g. 'vllm serve {model} --served-model-name {name} --port {port}'");
        }
        if (mode.equals("lora") && !hasCommand && endpoints.isEmpty()) {
            throw new InputError("serve.mode lora needs serve.command (a server of the seed the run starts) or serve.endpoints (one already running)");
        }
        if (mode.equals("lora") && hasCommand && !endpoints.isEmpty()) {
            throw new InputError("serve.mode lora: give serve.command or serve.endpoints, not both");
        }
        if (hasCommand && !command.contains("{port}")) {
            throw new InputError("serve.command never uses {port}: each server must listen on the port the run chose for it");
        }
    }

    public static ServeSettings defaults() {
        return new ServeSettings("static", null, 1, Map.of(), List.of(), HOST, 0, READY_TIMEOUT_SECONDS, STOP_GRACE_SECONDS, RESTARTS);
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isStatic() { return mode.equals("static"); }
}
