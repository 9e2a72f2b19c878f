package dev.posthorn.codes.providers;

/** A provider's documented bounce found in pasted text. */
public record ProviderMatch(Provider provider, ProviderEntry entry) {
}
