package dev.posthorn.config;

/** One thing wrong in the configuration: the key, what is wrong, and how to fix it. */
public record ConfigProblem(String key, String problem, String fix) {

    @Override
    public String toString() {
        return key + ": " + problem + (fix == null ? "" : " (fix: " + fix + ")");
    }
}
