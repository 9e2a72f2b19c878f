package dev.posthorn.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Vectors made by real tools on Debian 12 (dovecot-core 2.3.19.1, OpenSSL 3, Python 3.11 crypt = glibc):
 * <pre>
 *   doveadm pw -s ARGON2ID -p 'correct horse'
 *   doveadm pw -s ARGON2ID -r 2 -p 'pencil'
 *   doveadm pw -s BLF-CRYPT -p 'correct horse'
 *   doveadm pw -s BLF-CRYPT -r 6 -p 'short'
 *   doveadm pw -s SHA512-CRYPT -p 'correct horse'
 *   doveadm pw -s SHA512-CRYPT -r 10000 -p 'pa$$w0rd'
 *   doveadm pw -s SHA512-CRYPT -p ''
 *   openssl passwd -6 -salt saltsalt 'Hello world!'
 *   openssl passwd -5 -salt saltstring 'Hello world!'   (OpenSSL 3.5, Debian 13)
 *   python3 -c "import crypt; print(crypt.crypt(PASSWORD, SETTING))"   (glibc crypt(3))
 * </pre>
 */
class PasswordHashesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
        doveadm ARGON2ID              | correct horse | {ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$QQUdQuCuIDr9FsUVB62dbQ$W8OC4QZVx2Dzo5zRnWEHWjbGIeS3MrAQgoMvX2TbXZA
        doveadm ARGON2ID -r 2         | pencil        | {ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$97s6E8e3OdUxSBRoBjv/OQ$/5T8yVwqiv0geB2uNKjGBUgHIJvFzhx8aa62a2q6G2o
        bare PHC string               | correct horse | $argon2id$v=19$m=65536,t=3,p=1$QQUdQuCuIDr9FsUVB62dbQ$W8OC4QZVx2Dzo5zRnWEHWjbGIeS3MrAQgoMvX2TbXZA
        doveadm BLF-CRYPT             | correct horse | {BLF-CRYPT}$2y$05$LuCn4L.aHwT3Sb7yO2eZZOQJ9KZ9txzwbHqi4g98ASTAua87hjpDa
        doveadm BLF-CRYPT -r 6        | short         | {BLF-CRYPT}$2y$06$Fxf7ni0xEwF7OxGSo726.e7lEzOr1vEZPq.doy9HquCCIjDjk9C8a
        same bcrypt as $2b$           | short         | $2b$06$Fxf7ni0xEwF7OxGSo726.e7lEzOr1vEZPq.doy9HquCCIjDjk9C8a
        same bcrypt as $2a$           | short         | $2a$06$Fxf7ni0xEwF7OxGSo726.e7lEzOr1vEZPq.doy9HquCCIjDjk9C8a
        doveadm SHA512-CRYPT          | correct horse | {SHA512-CRYPT}$6$YNVkekNdBAcxPMSj$RZJXQ.roK9.QwUM2HlAEgBf6/wPzSeIg20uW8SMVzFcq.kbihdrbfobJgth7RvbF5GTuEAl1EryvYj36Raxg0.
        doveadm SHA512-CRYPT rounds   | pa$$w0rd      | {SHA512-CRYPT}$6$rounds=10000$T/QacvlprE4G48U6$D9aiu9mrP67ZTLlrImq7w15fNh8M4kinvEptNST8.T4DmclWkv6.8BSm8OAgyVJzgTjCEmZ1Y8BsDCiIr4KXy0
        openssl passwd -6             | Hello world!  | $6$saltsalt$pn.eNCAqRIao3pxsOGdjVa9wVR7Rb/3WnbxOluoQKVZPzLuyetx3yF6VIZDfQnn/arrFVfrq3BqRb9gLqhI5z0
        glibc spec example            | Hello world!  | $6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1
        glibc rounds=1000             | Hello world!  | $6$rounds=1000$saltstring$Zu2Vknok2/f53APfN687ADnzeNBLcsEgTwvcBHMD2./07rZQAt8vsuKVufD15dyZh.LOLB/uZKf6I3GyON4bp/
        glibc salt cut to 16          | we have a short salt string but not a short password | $6$rounds=1400$anotherlongsalts$AP.vbZcNbWD30OfPAcUJe702LINHtb7RqILoLW9vJ/DHPMJyr6a.5rQHcOzBXuDOEzAqm8/9xW6EF/z3vOBQp0
        openssl passwd -5             | Hello world!  | $5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5
        openssl passwd -5 (16 salt)   | pa$$w0rd      | {SHA256-CRYPT}$5$T/QacvlprE4G48U6$k/ysooUu9vxdlUpG/kFYUnKN6OwLbHsPHA7Pv13e374
        glibc $5$ rounds=10000        | pa$$w0rd      | $5$rounds=10000$T/QacvlprE4G48U6$x/Kp9rBAgW4Eba/0ELAS47wcqjujLIENznChQVw.Q24
        openssl salt outside ./0-9A-Za-z | Hello world! | $6$a_b-c!$ykUyZsoKmGNfGumKQZZqjmcMmsaFdfq2NeF1dy/rfzTQWfxkwLhj1yIqd1KsFgN4GfycbL9NnkogTZgGEwOod0
        glibc crypt(3) empty salt     | Hello world!  | $6$$.SKR9BCFmNlzTpsFbxLHKPVAMUdqxN8.85WISsmC.fRIPfZ78cePl/wQJcKzjcsDe8rRtdaVxJHS/E1LzWy3./
        glibc password over 64 bytes  | a very much longer text to encrypt.  This one even stretches over morethan one line. | $6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1
        """)
    void verifiesHashesMadeByRealTools(String source, String password, String stored) {
        assertThat(PasswordHashes.verify(stored, password.toCharArray())).as(source).isTrue();
        assertThat(PasswordHashes.verify(stored, (password + "x").toCharArray())).as(source + " wrong password").isFalse();
    }

    @Test
    void emptyPasswordVerifiesAgainstDovecotHashOfEmptyPassword() {
        // doveadm pw -s SHA512-CRYPT -p ''
        String stored = "{SHA512-CRYPT}$6$X2i.CeP50919uCFG$FRKu1hYv/olkUpd6ufXqlDAAa66.UoFflQT7lQFlEhsIqng35fYaEqJDcb6OufOqAmvb2Fda4wQw6gamryzjV.";
        assertThat(PasswordHashes.verify(stored, new char[0])).isTrue();
        assertThat(PasswordHashes.verify(stored, "x".toCharArray())).isFalse();
    }

    @Test
    void saltLongerThanSixteenCharactersIsCutAsGlibcDoes() {
        String stored = "$6$rounds=1400$anotherlongsaltstring$AP.vbZcNbWD30OfPAcUJe702LINHtb7RqILoLW9vJ/DHPMJyr6a.5rQHcOzBXuDOEzAqm8/9xW6EF/z3vOBQp0";
        // The stored string keeps the long salt; glibc (and so the verification) uses its first 16 characters.
        assertThat(PasswordHashes.verify("$6$rounds=1400$anotherlongsalts$AP.vbZcNbWD30OfPAcUJe702LINHtb7RqILoLW9vJ/DHPMJyr6a.5rQHcOzBXuDOEzAqm8/9xW6EF/z3vOBQp0",
                "we have a short salt string but not a short password".toCharArray())).isTrue();
        assertThat(PasswordHashes.verify(stored, "we have a short salt string but not a short password".toCharArray()))
                .as("a stored string with the uncut salt is not what crypt(3) writes").isFalse();
    }

    @Test
    void newHashesAreArgon2idWithOwaspParametersAndVerify() {
        String hash = PasswordHashes.hash("s3cret ünïcode".toCharArray());
        assertThat(hash).matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        assertThat(PasswordHashes.verify(hash, "s3cret ünïcode".toCharArray())).isTrue();
        assertThat(PasswordHashes.verify("{ARGON2ID}" + hash, "s3cret ünïcode".toCharArray())).isTrue();
        assertThat(PasswordHashes.verify(hash, "s3cret unicode".toCharArray())).isFalse();
        assertThat(PasswordHashes.hash("same".toCharArray())).isNotEqualTo(PasswordHashes.hash("same".toCharArray()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        {PLAIN}secret
        {SHA512-CRYPT}$5$saltstring$whatever
        {ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$!!!$W8OC4QZVx2Dzo5zRnWEHWjbGIeS3MrAQgoMvX2TbXZA
        $argon2id$v=19$m=99999999,t=3,p=1$QQUdQuCuIDr9FsUVB62dbQ$W8OC4QZVx2Dzo5zRnWEHWjbGIeS3MrAQgoMvX2TbXZA
        $2y$05$short
        $6$rounds=999999999$salt$abc
        {BLF-CRYPT
        secret
        """)
    void unknownSchemesAndMalformedHashesNeverMatchNorThrow(String stored) {
        assertThat(PasswordHashes.verify(stored, "secret".toCharArray())).isFalse();
    }
}
