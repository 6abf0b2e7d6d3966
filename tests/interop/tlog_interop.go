// tlog_interop: checks hotline's transparency-log artefacts with an
// independent implementation of the same formats, Go's
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog (Debian's
// golang-golang-x-mod-dev, built offline in GOPATH mode from
// /usr/share/gocode). Run by tests/system/test_go_interop.py.
//
// Input (argv[1], JSON, written by the test from a running node):
//
//	vkey           the log's verifier key (type 0x01)
//	cosigner_vkey  the peer's cosigner key (type 0x04; sumdb/note 0.7 does
//	               not know cosignature/v1, so it is checked here from the
//	               C2SP text with crypto/ed25519)
//	leaves         base64 of every leaf's data, in order
//	checkpoints    every checkpoint note the node signed
//	proof          a `hotline audit prove` file
//	consistency    [{from, to, from_root, to_root, proof}] from the API
//
// Every check must pass (exit 1 otherwise). Then it signs a checkpoint
// with a fresh Go key and prints {"vkey": ..., "note": ...} for hotline to
// verify the other way round.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type consistency struct {
	From     int64    `json:"from"`
	To       int64    `json:"to"`
	FromRoot string   `json:"from_root"`
	ToRoot   string   `json:"to_root"`
	Proof    []string `json:"proof"`
}

type entry struct {
	Role  string   `json:"role"`
	Index int64    `json:"index"`
	Leaf  string   `json:"leaf"`
	Proof []string `json:"proof"`
}

type proofFile struct {
	Format     string  `json:"format"`
	Log        string  `json:"log"`
	Checkpoint string  `json:"checkpoint"`
	Size       int64   `json:"size"`
	Entries    []entry `json:"entries"`
}

type input struct {
	Vkey         string        `json:"vkey"`
	CosignerVkey string        `json:"cosigner_vkey"`
	Leaves       []string      `json:"leaves"`
	Checkpoints  []string      `json:"checkpoints"`
	Proof        proofFile     `json:"proof"`
	Consistency  []consistency `json:"consistency"`
}

var failed bool

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", a...)
	failed = true
}

func b64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		fail("bad base64 %q: %v", s, err)
	}
	return b
}

func hash(s string) tlog.Hash {
	var h tlog.Hash
	b := b64(s)
	if len(b) != len(h) {
		fail("hash of %d bytes", len(b))
		return h
	}
	copy(h[:], b)
	return h
}

// checkpoint text: origin, size, root (C2SP tlog-checkpoint).
func parseCheckpoint(text string) (string, int64, tlog.Hash) {
	var h tlog.Hash
	lines := strings.Split(text, "\n")
	if len(lines) < 4 {
		fail("checkpoint %q: too few lines", text)
		return "", 0, h
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size %q", lines[1])
	}
	return lines[0], n, hash(lines[2])
}

// cosignature/v1 (c2sp.org/tlog-cosignature), checked by hand.
func checkCosig(msg, vkey string) (int, uint64) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		fail("cosigner vkey %q", vkey)
		return 0, 0
	}
	name := parts[0]
	raw := b64(parts[2])
	if len(raw) != 33 || raw[0] != 0x04 {
		fail("cosigner vkey is not type 0x04")
		return 0, 0
	}
	pub := ed25519.PublicKey(raw[1:])
	idh := sha256.Sum256(append([]byte(name+"\n\x04"), pub...))
	if fmt.Sprintf("%08x", binary.BigEndian.Uint32(idh[:4])) != parts[1] {
		fail("cosigner key id mismatch")
	}
	i := strings.LastIndex(msg, "\n\n")
	text, sigs := msg[:i+1], msg[i+2:]
	found := 0
	var ts uint64
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		if !strings.HasPrefix(line, "\u2014 "+name+" ") {
			continue
		}
		sig := b64(strings.TrimPrefix(line, "\u2014 "+name+" "))
		if len(sig) != 4+8+64 || !bytes.Equal(sig[:4], idh[:4]) {
			continue
		}
		ts = binary.BigEndian.Uint64(sig[4:12])
		signed := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, text)
		if !ed25519.Verify(pub, []byte(signed), sig[12:]) {
			fail("cosignature by %s does not verify", name)
			return 0, 0
		}
		found++
	}
	return found, ts
}

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var in input
	if err := json.Unmarshal(data, &in); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	verifier, err := note.NewVerifier(in.Vkey)
	if err != nil {
		fail("note.NewVerifier(%q): %v", in.Vkey, err)
		os.Exit(1)
	}

	// The tree, rebuilt by sumdb/tlog from the leaves alone.
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= int64(len(stored)) {
				return nil, fmt.Errorf("index %d not stored", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	leafHash := make([]tlog.Hash, len(in.Leaves))
	for i, l := range in.Leaves {
		leafHash[i] = tlog.RecordHash(b64(l))
		hs, err := tlog.StoredHashesForRecordHash(int64(i), leafHash[i], reader)
		if err != nil {
			fail("StoredHashes: %v", err)
			os.Exit(1)
		}
		stored = append(stored, hs...)
	}
	n := int64(len(in.Leaves))

	// Every checkpoint: signature by note.Open, root by tlog.TreeHash.
	for _, c := range in.Checkpoints {
		nt, err := note.Open([]byte(c), note.VerifierList(verifier))
		if err != nil {
			fail("note.Open checkpoint: %v\n%s", err, c)
			continue
		}
		_, size, root := parseCheckpoint(nt.Text)
		if size > n {
			fail("checkpoint size %d > %d leaves", size, n)
			continue
		}
		th, err := tlog.TreeHash(size, reader)
		if err != nil || th != root {
			fail("checkpoint at %d: root %v, tlog.TreeHash %v (%v)", size, root, th, err)
		}
	}
	fmt.Printf("%d checkpoints verified by sumdb/note, roots equal to sumdb/tlog's\n", len(in.Checkpoints))

	// The proof file: checkpoint, cosignature, inclusion proofs.
	p := in.Proof
	nt, err := note.Open([]byte(p.Checkpoint), note.VerifierList(verifier))
	if err != nil {
		fail("proof checkpoint: %v", err)
		os.Exit(1)
	}
	origin, size, root := parseCheckpoint(nt.Text)
	if origin != p.Log || size != p.Size {
		fail("proof checkpoint %s/%d vs %s/%d", origin, size, p.Log, p.Size)
	}
	if k, ts := checkCosig(p.Checkpoint, in.CosignerVkey); k != 1 {
		fail("%d cosignatures by the peer, want 1", k)
	} else {
		fmt.Printf("cosignature/v1 verified, time %d\n", ts)
	}
	for _, e := range p.Entries {
		var rp tlog.RecordProof
		for _, s := range e.Proof {
			rp = append(rp, hash(s))
		}
		lh := tlog.RecordHash(b64(e.Leaf))
		if err := tlog.CheckRecord(rp, size, root, e.Index, lh); err != nil {
			fail("tlog.CheckRecord(%s leaf %d): %v", e.Role, e.Index, err)
		}
		gp, err := tlog.ProveRecord(size, e.Index, reader)
		if err != nil || len(gp) != len(rp) {
			fail("tlog.ProveRecord differs in length: %v", err)
		} else {
			for i := range gp {
				if gp[i] != rp[i] {
					fail("tlog.ProveRecord differs at %d", i)
				}
			}
		}
		if len(rp) > 0 {
			rp[0][0] ^= 1
			if tlog.CheckRecord(rp, size, root, e.Index, lh) == nil {
				fail("an altered proof passed tlog.CheckRecord")
			}
		}
	}
	fmt.Printf("%d inclusion proofs verified by tlog.CheckRecord, equal to tlog.ProveRecord\n", len(p.Entries))

	// Consistency proofs.
	for _, c := range in.Consistency {
		var tp tlog.TreeProof
		for _, s := range c.Proof {
			tp = append(tp, hash(s))
		}
		if err := tlog.CheckTree(tp, c.To, hash(c.ToRoot), c.From, hash(c.FromRoot)); err != nil {
			fail("tlog.CheckTree %d..%d: %v", c.From, c.To, err)
		}
		gp, err := tlog.ProveTree(c.To, c.From, reader)
		if err != nil || len(gp) != len(tp) {
			fail("tlog.ProveTree %d..%d differs in length (%v)", c.From, c.To, err)
			continue
		}
		for i := range gp {
			if gp[i] != tp[i] {
				fail("tlog.ProveTree %d..%d differs at %d", c.From, c.To, i)
			}
		}
	}
	fmt.Printf("%d consistency proofs verified by tlog.CheckTree, equal to tlog.ProveTree\n", len(in.Consistency))

	// The other way: a checkpoint signed by Go, for hotline to verify.
	skey, vkey, err := note.GenerateKey(rand.Reader, "go.example/interop")
	if err != nil {
		fail("GenerateKey: %v", err)
		os.Exit(1)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("NewSigner: %v", err)
		os.Exit(1)
	}
	text := fmt.Sprintf("go.example/log\n%d\n%s\n", n, base64.StdEncoding.EncodeToString(stored[len(stored)-1][:]))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		fail("Sign: %v", err)
	}
	out, _ := json.Marshal(map[string]string{"vkey": vkey, "note": string(msg)})
	if failed {
		os.Exit(1)
	}
	fmt.Println(string(out))
}
