package dev.posthorn.store;

/**
 * Everything a node needs to know about who and what it serves: accounts, aliases and admin flags, hosted
 * domains, API tokens. {@link FileDirectoryStore} keeps them in {@code users.json} for one node;
 * {@code PgDirectoryStore} keeps them in PostgreSQL, where every node sees the same at once. Both extend
 * {@link CheckedDirectoryStore}, which checks and folds what comes in and words the refusals, once for both.
 */
public interface DirectoryStore extends UserStore, DomainStore, TokenStore, AutoCloseable {

    /** Where the data lives, for banners and messages: a file path or a JDBC URL (never a password). */
    String describe();

    /** Releases what the store holds (database connections); the files store holds nothing. */
    @Override
    void close();
}
