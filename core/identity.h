/* Who someone is, for the approver != author rule: one comparison for waivers and for the
 * policy library's approvals, so "Bob", "bob " and "@bob" are all the author "bob". */
#ifndef RG_IDENTITY_H
#define RG_IDENTITY_H

/* A heap copy of NAME normalised for comparison, or NULL when NAME is not an identity
 * (NULL, not well-formed UTF-8, or nothing left) or memory ran out:
 *  - invisible characters dropped wherever they are (zero-width spaces and joiners,
 *    soft hyphens, bidirectional and other format controls, variation selectors) and
 *    combining marks too, so a decomposed "é" is an "e";
 *  - white space (Unicode's, no-break and ideographic spaces included) trimmed at both
 *    ends and collapsed to one ASCII space inside;
 *  - one leading '@' dropped ("@bob" is GitHub's way of writing bob);
 *  - letters folded to lower case without accents: ASCII, Latin-1 and Latin
 *    Extended-A ("Élodie" -> "elodie", "ß" -> "ss"), Greek and Cyrillic capitals, and
 *    full-width ASCII ("ｂｏｂ" -> "bob").
 * The folding is deliberately generous: two names that normalise alike are taken for
 * one person, which can only refuse a waiver or a sign-off, never grant one. */
char *rg_identity_normalize(const char *name);

/* 1 when A and B are the same identity, 0 when they differ, -1 when either is not an
 * identity (or memory ran out): the caller cannot tell, and fails closed. */
int rg_identity_same(const char *a, const char *b);

#endif
