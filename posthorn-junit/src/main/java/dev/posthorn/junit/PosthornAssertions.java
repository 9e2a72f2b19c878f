package dev.posthorn.junit;

/**
 * Entry point of the mail assertions: {@code assertThat(mail).received(1).to("bob@x.test").withSubject("Hi")}.
 * Import it statically beside AssertJ's {@code Assertions.assertThat}: the overload for
 * {@link PosthornExtension} does not clash.
 */
public final class PosthornAssertions {

    private PosthornAssertions() {
    }

    public static MailboxAssert assertThat(PosthornExtension mail) {
        return new MailboxAssert(mail);
    }
}
