package dev.posthorn.mailauth.arc;

import dev.posthorn.mailauth.HeaderField;
import dev.posthorn.mailauth.MessageHeader;
import dev.posthorn.mailauth.dkim.ArcInstance;
import dev.posthorn.mailauth.dkim.SignatureFailure;
import dev.posthorn.mailauth.dkim.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The ARC sets of a message (RFC 8617 §4.1): for each instance i, its ARC-Authentication-Results, its
 * ARC-Message-Signature and its ARC-Seal. {@link #structureProblem()} says why the sets do not form a chain
 * (a missing or repeated field, a gap, too many instances), or null.
 */
final class ArcSets {

    record Set(List<HeaderField> results, List<HeaderField> signatures, List<HeaderField> seals) {
        Set() {
            this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }
    }

    final TreeMap<Integer, Set> byInstance = new TreeMap<>();
    private String problem;

    static ArcSets of(MessageHeader header) {
        ArcSets sets = new ArcSets();
        for (HeaderField f : header.fields()) {
            boolean aar = f.is("ARC-Authentication-Results");
            boolean ams = f.is("ARC-Message-Signature");
            boolean as = f.is("ARC-Seal");
            if (!aar && !ams && !as) {
                continue;
            }
            int i;
            try {
                i = ArcInstance.parse(aar ? aarInstance(f.rawValue()) : Tags.parse(f.rawValue()).get("i"));
            } catch (SignatureFailure | IllegalArgumentException e) {
                sets.problem = f.name() + " has no valid instance: " + e.getMessage();
                continue;
            }
            Set set = sets.byInstance.computeIfAbsent(i, k -> new Set());
            (aar ? set.results : ams ? set.signatures : set.seals).add(f);
        }
        return sets;
    }

    /** AAR values are "i=N; authserv-id; results": the instance is the first tag. */
    private static String aarInstance(String value) {
        int semi = value.indexOf(';');
        String first = (semi < 0 ? value : value.substring(0, semi)).replace("\r\n", "").strip();
        return first.startsWith("i=") ? first.substring(2).strip() : null;
    }

    boolean isEmpty() {
        return byInstance.isEmpty() && problem == null;
    }

    int highest() {
        return byInstance.isEmpty() ? 0 : byInstance.lastKey();
    }

    String structureProblem() {
        if (problem != null) {
            return problem;
        }
        int n = highest();
        for (int i = 1; i <= n; i++) {
            Set set = byInstance.get(i);
            if (set == null) {
                return "ARC set " + i + " is missing";
            }
            if (set.results.size() != 1 || set.signatures.size() != 1 || set.seals.size() != 1) {
                return "ARC set " + i + " does not have exactly one of each field";
            }
        }
        return null;
    }

    HeaderField seal(int i) {
        return byInstance.get(i).seals.get(0);
    }

    HeaderField signature(int i) {
        return byInstance.get(i).signatures.get(0);
    }

    HeaderField results(int i) {
        return byInstance.get(i).results.get(0);
    }
}
