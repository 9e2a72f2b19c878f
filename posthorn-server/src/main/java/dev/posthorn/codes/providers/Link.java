package dev.posthorn.codes.providers;

/**
 * A page of the provider's: {@code kind} names it for the reader in every language (phrase
 * {@code provider.link.<kind>}): {@code guidelines}, {@code errors}, {@code postmaster}, {@code delisting},
 * {@code support}.
 */
public record Link(String kind, String url) {
}
