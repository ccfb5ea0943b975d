package userpool

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// srpVector is one of the verified test vectors of reference user-pools.md
// §5.5, produced by running amazon-cognito-identity-js 6.3.21. Inputs first,
// then the values the server must reproduce.
type srpVector struct {
	name      string
	poolID    string
	userID    string // USER_ID_FOR_SRP
	password  string
	salt      string // SALT as sent on the wire
	aSeed     string // a = SHA-256(aSeed) repeated 4 times (128 bytes)
	bSeed     string // b = SHA-256(bSeed) repeated 4 times (128 bytes)
	srpA      string // SRP_A as the client sent it
	block     string // SECRET_BLOCK (base64)
	timestamp string

	innerHash, x, u, k, signature string
	v, srpB, s                    string
	a, b                          string // the expanded seeds, as listed
	// padHex lengths in bytes of A, B, u and S.
	padA, padB, padU, padS int
	// wire hex digits of SRP_A and SRP_B.
	digitsA, digitsB int
}

var srpVectors = []srpVector{
	{
		name: "vector 1", poolID: "us-east-1_AbCdEfGhI", userID: "0c7a3c1e-2f1b-4c3e-9d3c-1a2b3c4d5e6f",
		password: "Passw0rd!", salt: "1f2e3d4c5b6a79880f1e2d3c4b5a6978",
		aSeed: "client-secret-a", bSeed: "server-secret-b",
		block:     "b3BhcXVlLXNlcnZlci1zdGF0ZS0wMTIzNDU2Nzg5",
		timestamp: "Tue Jun 4 09:05:03 UTC 2024",
		innerHash: "0a116ef2388197962c836f5282173ea970712675ffd8dc95d59a6c98eb19fe8b",
		x:         "c062c199aea005d39c9690ed5737e63a3911ab6f17a008fa59804672ba8948d4",
		u:         "82254005eec0a3605925be271aef4de982ea2b53ceef007b9f801e57fcce8657",
		k:         "40be8c08c2842e34246133a194e9568d",
		signature: "8ujuEI20AfsjOxLcH2wkY/UJVWRJQY62bKpXKvWHAdw=",
		a: "" +
			"a465a85151ccbf8522fb7bc29169df9370b7da383fc4785fba5100d1cdee89e8a465a85151ccbf8522fb7bc29169df93" +
			"70b7da383fc4785fba5100d1cdee89e8a465a85151ccbf8522fb7bc29169df9370b7da383fc4785fba5100d1cdee89e8" +
			"a465a85151ccbf8522fb7bc29169df9370b7da383fc4785fba5100d1cdee89e8",
		b: "" +
			"2b77aec05c88750b3530e0c993677f2c7ac6a60ecd5042341b3be1ad82d378142b77aec05c88750b3530e0c993677f2c" +
			"7ac6a60ecd5042341b3be1ad82d378142b77aec05c88750b3530e0c993677f2c7ac6a60ecd5042341b3be1ad82d37814" +
			"2b77aec05c88750b3530e0c993677f2c7ac6a60ecd5042341b3be1ad82d37814",
		v: "" +
			"eed40ad159ab760328fd500db2f4bce7317bb8cfba9d7131be2f29bd851b7a6dea0959500e18163066eb649d956b351b" +
			"53239f0c4b796ba21ea7f1a42c82d9692703523b3e4dddc3c104ff9bcfceff82ee263ad1d63359818e2940fc508643e0" +
			"0e890578e0280993a8654dfbe88f1a819e53907176307fe174ba5af7511af04f77f47c1cfc9b566eb3f3c96354348587" +
			"b88e8c80c655fe0694d1c31b16939f0fbd74f330361b4c2c0d2f9ae5d7124989a5684428c59240d0662fb328a60e1c11" +
			"bb5b074ca5108e34a7ef86b133cb009629ab1db91542cf56685de769e2cd301d85afcebf994514edeaf7d47b98f0d2db" +
			"f1ef554d43394243279e0d7a56515d3812874fb2002362f01dde5f7cfceb9b4d4055ea86d2280258abd0ff79fed3a8b3" +
			"2b36321424933e55bc0b3b8ec304898eaf5569236f0c4b71f7902416ffc6d46bfe6f943b3fc2b6c1a4cac07cd3ca71ad" +
			"1718a48730bafaa2445fa53732d482bf1e2d6eb28b246f24ca3ce4fde3b427c6b8ed6fd063ac51afd3e7cef426487968",
		srpA: "" +
			"489aa803748fddf4cedfec78654d606b7e420dd554fff08777beaabc329be0c68071d1e8f1b682b9b2f84e67795d69de" +
			"0e5ebc0933142db14257a710527b26f9959fb16b5be98e5baceb769b215660bfa69d0effb519f9573ae70dc4aa90a556" +
			"5b0997875a56ed031cb81bcd4f8157b1651a169978cfc5f6459dc3a55ac0c1596101ba88b519534c0693e5057e5bb0fa" +
			"0cef4596429879a9917cc40230cbea8bcc4332d319292ead037c6a432cb95883ea540324a709c09b1cd9a2d6b1724f41" +
			"f3dc068dcdc9f828d4d43b272dcc0a9eb3d31a0b4c75951dd448948f58891e96997bdd529444772bf53536bc7b02fd19" +
			"b18dccc616afdac9045e606caf492322bdaecdea3b911f7781d04212535dba64c7bb75c46f46b0d5b61bcde8dbe3a253" +
			"21f3583ea3de40e58c822882511dc482c77072e7979fdcbe195e75f7fe584c419d1978c4fc459445b9eb62b365588d55" +
			"ae6c070fb156e44a9b81e090a78bcd0f15ba65c754adcd949107885c0a9dd55fde9fd0fede3b441cc411de6bc393997b",
		srpB: "" +
			"3ddae492c93b874f5484f04cddc385df3b527dd667653584efde91eafbd072aa199302e76987335d9293243a923abc2d" +
			"a196f20fb6d46080655b1a753b97a5948b48afee581def65edc0a2d6489bfa150c27e544d1d908e39865d9437d630b4e" +
			"365c380b3a26e3423636564b26b5f66c4e224f5ad68dd3cad3510070e88ab300ad98fda45b7a643bdf090e08bdddef0e" +
			"53e5e21085c208db9ab6463525779f9530c813fee8a3da835d01a37bcb209e2c61d6fd10a232cb799ab7e32ba3cbea59" +
			"1c9d04e73adc91e4da9e813d761820f7d714c0ca99dd9b946df205afba9c1ba0c49a3525f7dae2a399d5a38a3990542d" +
			"20fd5fb4af122af6b7093b06f63355b06ef6a3edca24a18abeeb236e12f25d268bf47a2af7dd42dfedb5d728790f3bed" +
			"ffbf2fb40dd0f89e6182ad104a534d323f11f6adb51454218746093edc3d29c060cce87990392d9dd27d10de5402af65" +
			"953e81f6bbdaee41dc7063e6b8d6becc1b0d52cc468ef56bb5c46ed716e4b8082f04dec2644e69f89da2e3fae73f80ba",
		s: "" +
			"79caee33af1fc64c60e1acb44b26c22e85fbb88e0d77dcac4019e7e7ed925f22cd8183993827f9f7ac89e4812ecb4076" +
			"3bfb04c0d1d3c4e40d843dcef7a9a2bec4c3e1c3fc1e3a0cd58ae72745f152744f9b7d63c91e94542047c1cc831a06c1" +
			"cd7be34c7ffb1405a114e6c2435649ffd1ebe777bab9d4ea81276d14ea42e51dc22570fd6bc21b7f708679646a57e210" +
			"6b5a985092143186f5aa54c411ab987b9009a21df08dcb514daf97944def72d4d8b3a7e6724298670a3ddce4e4dce027" +
			"6a423d61e2a6211f4ab7cfd72a49854a0d09f1eec258d830f43876c225fb9b0d1afe2b6a773fc9def6003c467a81a53e" +
			"7c9fcbc1ea3453dc2c2b2e4fbf8590ff34df6b424771ae64c3d467c03a53a4999d4c6ea9287aa7b13b0fc7b6779e12bd" +
			"8f10b043d0deaf10cdb7cf2143a4234e343da59369687d4a7a8ac2c64df5886d2505794b331b49a9aa2876e0825d4f5f" +
			"9985d11a0795210d94062e66ef3be2baa76b82953b4e2537705d31766f0ce98338d05ae9319f9a2a79a12b02d8993b6",
		padA: 384, padB: 384, padU: 33, padS: 384, digitsA: 768, digitsB: 768,
	},
	{
		name: "vector 2", poolID: "eu-west-2_Zz9Yy8Xx7", userID: "f4b8a1d2-7c3e-4e5f-8a9b-0c1d2e3f4a5b",
		password: "P\u00e4ssw\u00f6rd\u20ac1", salt: "e0f1d2c3b4a5968778695a4b3c2d1e0f",
		aSeed: "edge-a-15", bSeed: "edge-b-2719",
		block:     "AbF2e4EiMxSeDDuIVSSEqwaa2qEMffcVnQDwWmMNkcReVu8Zi2B7HEo=",
		timestamp: "Sun Nov 30 00:07:09 UTC 2025",
		innerHash: "b07fb648f95f2f87afe59af6359aa367a0a61f2b841fbb004439c98c8b383062",
		x:         "6c2e961e9751751c46811de5976fdc83526fbfbfa8c4cd7dcd9cd2c203da8049",
		u:         "975630417b1183748fe05459e6e156385f897173e3ba105ad59d2ebaafa0abee",
		k:         "562e623705ed7057322e2a0e8d6f467d",
		signature: "d40DiatldMWit1LQMHlWTbRM/8+BWWdMKwn3SXGUfRA=",
		a: "" +
			"96e966dabec6b519a45ec6c9983bd6ef2f7d94f8492f9f11276e9719941c42a896e966dabec6b519a45ec6c9983bd6ef" +
			"2f7d94f8492f9f11276e9719941c42a896e966dabec6b519a45ec6c9983bd6ef2f7d94f8492f9f11276e9719941c42a8" +
			"96e966dabec6b519a45ec6c9983bd6ef2f7d94f8492f9f11276e9719941c42a8",
		b: "" +
			"fcf507b1f900bf6f850b0155eec2b515e196ca453fdf430359447354974fd4a4fcf507b1f900bf6f850b0155eec2b515" +
			"e196ca453fdf430359447354974fd4a4fcf507b1f900bf6f850b0155eec2b515e196ca453fdf430359447354974fd4a4" +
			"fcf507b1f900bf6f850b0155eec2b515e196ca453fdf430359447354974fd4a4",
		v: "" +
			"4988b77012e253fa6229e9ca50c7362b3be59a083c4f0c62fb380b165e5868510337b840d9a6ed3fcff4e055df6881d9" +
			"9742093094a2db7d5ab948e696e1649133ac172e2a54abf600dd9bbb5833a8425e8cb5c76e813dc328ac41c4d427ea00" +
			"2d451d8eafb4634f17a4c2ef97bbde55228745e4e9fa48edfb28001b7484f64b13aab5c204d4639ca1c348b821d2b1f0" +
			"339049f75a3eadf493fed6562863dbcd5ac858b615e643da8fcc243950b6c8ddde0b2939e4d7f4a9d195eec23065d96e" +
			"244427ad7286e6c19de05ec9928a7ebc7fc56a14189460c07d288d5ac12870b949373f79bdfe944155711e83656ca81a" +
			"267176d15f8d97676839402fe9cd7fb59e12ffedf5945eeccc3bfd1388e2ef0ba7fe02ee82b0a8399be195f59726c1a3" +
			"ac441cfb253d921c9c8562280a2fc8f59b8e4d3cd486de853cb18b9e4b93842462330b33dd94aacf324a5d670abe51ef" +
			"9fcd1c032fc60af24c6a93566bc21170e791660383d3a98506cc304d6c6a63097c8c026efd742da6ce5b4b48c82054c0",
		srpA: "" +
			"a2516e4ea7e525e7410913a1d8d3dab02835c3c21b8a195d180cf678784c80e7e0978a95cd6e0c1c4aa4c0b509701793" +
			"e444f1379b0eda7e6c906ea00a1532fd7836399f9eeac01656e31fe3ef3faf43f4cff7332c202559f2705b6ead5b85c6" +
			"f9536ce2c6f9cb461109abfe5cc9c4005147dd95a07b8bd788ea22084fa211408b86f53d17e7dcd4c776c7a4674684eb" +
			"b3e27846c0e9fa15a8bac27539353175a2862dc2bae074eaa84753b4213bacad1871fa39ebb3d7502fb732ed27533ae3" +
			"0b0f1fe82484794f609d05c4fd50567d4f80ab7d9bed51d00a8592f5014bb1d067ce2cdee109b799394753d46476d4c0" +
			"a26736ca694f784bc5485f2187377f31cf6330e753ae57dc4174a997d0f2d3373aec150e3774d3f00f51cf9bdedc6d1c" +
			"e5e186ca720cbb2739bdfd67458ec24da47095de7b74940d5159670bdda7ddf00f14257fb48c769d5e91a8e30d484991" +
			"42946621481f2c23b0d78e58e41e1dbf403eca8f188fb6a457c352b8f4a2ace7f25f4a4993052ca3c7bb3044ada8cf9",
		srpB: "" +
			"a1b56251f7064042141d245ca56e5e366bfd4befc2dc87d8768af99b09c3b710867feecd72def367cf31390ee8c2eb89" +
			"3dee2233c37815797c0c6010405f9030a17719758fefc573439d85d1d47d3e19b949eb338eca699bc2f1a64679007851" +
			"37d3f23c6cd4c0c194e5820af3e863cf2200fa5e8b76dd1378fef7dd9647f643740f5696edf72e8051349d6e4255e05b" +
			"80f306acb73a6ad73b0793d8459aa28384fc52000e0c7a507bed28d04bdc18b6ba47f71e7d7c71c65f031576c0764ef4" +
			"dc42a313d377b56cf72532282bb965a308a5bb346ea7dc6134a6ea44bc2770d9d0bb97ba4621a1e1d9f43d6182bbf973" +
			"f5a3e758ae78a3bde62b9d611a8084aa0daf6555e8a3c43ae2a5abaf092c726bb055a509a460467ccd5080df86ef120d" +
			"37be38d237dab9d176109b5e4f40f44ca7ecdfb83b5cff35964ba93f89320c3e3c8957ada43f3343743dce4c9ac54d68" +
			"5fbb965eaaf961c5de928a7cd1404c16f82d87d75503e1687fde14760c79522149fbc19fbc5911842d3a9d318d8bc",
		s: "" +
			"ada2041fd1f1c6f10a3327fcc7ce6a4237249f1267916a95e58247dee627d8d3a9b61a1892827f93561cd4f1f473e4be" +
			"920a3502f23d3afba523270e0ad91fc01f555a420aa959ddbf4335c2d3a5262c8fb5e9d973b521b45290cbc0ab846cca" +
			"61cd1b77387bca890c18c1f864dd5af65a1ab2e404bc28638d68dfb70ceca7a698053caf0dda46cbb4ed8618b14bf517" +
			"15d07eeecbb0db1cf5fb1d379e33b022728cca49710782e0807ddfd732b5e7247b3b68e8d85eace180992b75e84cdebd" +
			"2cd6efba2d713c1000c2005c6bdcd4e0857fc3eb6b1dabebfe6d017d6223647aebf801cbcb6ba98aeb20f820d33d8fd5" +
			"bcdf0af1b427991eac1ae85e4d7a82dc2570e1492cd1ff704ed723771209359240ecf073a54f38fae65206a075d7ed4a" +
			"8f7f78aa29b09096831c41db752ddcc7313b35a722eb5026c5af6eb45101971fd92dcf88b3be2f50f62986c53419282a" +
			"245d89454ee4ff47653784e6596eb0f26bc5149464d26ae6808d06e1a906bc881baf9859ffa23373862fcc4c731622a5",
		padA: 384, padB: 383, padU: 33, padS: 385, digitsA: 767, digitsB: 765,
	},
}

// srpSeed expands a §5.5 seed: its SHA-256 repeated 4 times, as an integer.
func srpSeed(seed string) *big.Int {
	h := sha256.Sum256([]byte(seed))
	return new(big.Int).SetBytes(bytes.Repeat(h[:], 4))
}

// hex32 is a 256-bit value as 64 hex digits (digests keep leading zeros).
func hex32(n *big.Int) string { return hex.EncodeToString(n.FillBytes(make([]byte, 32))) }

func TestSRPConstants(t *testing.T) {
	if got := srpN.BitLen(); got != 3072 {
		t.Fatalf("N has %d bits, want 3072", got)
	}
	if !srpN.ProbablyPrime(0) {
		t.Fatal("N is not prime")
	}
	if got := len(padBytes(srpN)); got != 385 {
		t.Fatalf("padHex(N) is %d bytes, want 385 (0x00 ‖ N)", got)
	}
	const wantK = "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
	if got := hex32(srpK); got != wantK {
		t.Fatalf("k = %s, want %s", got, wantK)
	}
	// k computed the long way: SHA-256 of 0x00 ‖ N (384 bytes) ‖ 0x02.
	h := sha256.Sum256(append(append([]byte{0}, srpN.FillBytes(make([]byte, 384))...), 2))
	if hex.EncodeToString(h[:]) != wantK {
		t.Fatal("k does not match SHA-256(0x00 ‖ N ‖ 0x02)")
	}
}

func TestPadHex(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "00"}, {1, "01"}, {15, "0f"}, {20, "14"}, {127, "7f"}, {128, "0080"},
		{200, "00c8"}, {236, "00ec"}, {255, "00ff"}, {256, "0100"}, {0x7fff, "7fff"}, {0x8000, "008000"},
	}
	for _, tc := range tests {
		if got := padHex(big.NewInt(tc.in)); got != tc.want {
			t.Errorf("padHex(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSRPVectors reproduces §5.5 from its inputs: v, SRP_B, u, S, K and the
// signature, with the padded lengths that catch the usual encoding bugs
// (fixed-width padding, big.Int.Bytes without the sign byte, hex.DecodeString
// on odd-length wire values).
func TestSRPVectors(t *testing.T) {
	for _, tc := range srpVectors {
		t.Run(tc.name, func(t *testing.T) {
			poolName := srpPoolName(tc.poolID)
			if !strings.HasSuffix(tc.poolID, "_"+poolName) || strings.Contains(poolName, "_") {
				t.Fatalf("pool name %q of %q", poolName, tc.poolID)
			}
			a, b := srpSeed(tc.aSeed), srpSeed(tc.bSeed)
			if a.Text(16) != tc.a || b.Text(16) != tc.b {
				t.Fatal("a or b does not expand as listed")
			}

			// What the server receives and stores.
			A, err := parseSRPA(tc.srpA)
			if err != nil {
				t.Fatalf("parseSRPA: %v", err)
			}
			if len(tc.srpA) != tc.digitsA || A.Cmp(new(big.Int).Exp(srpG, a, srpN)) != 0 {
				t.Fatal("SRP_A is not g^a mod N")
			}
			salt, ok := parseSRPHex(tc.salt)
			if !ok {
				t.Fatal("SALT does not parse")
			}
			inner := sha256.Sum256([]byte(poolName + tc.userID + ":" + tc.password))
			if got := hex.EncodeToString(inner[:]); got != tc.innerHash {
				t.Fatalf("H(poolName ‖ userID ‖ : ‖ password) = %s, want %s", got, tc.innerHash)
			}
			x := srpX(poolName, tc.userID, tc.password, salt)
			if got := hex32(x); got != tc.x {
				t.Fatalf("x = %s, want %s", got, tc.x)
			}
			v := srpVerifier(x)
			if got := v.Text(16); got != tc.v {
				t.Fatalf("v = %s, want %s", got, tc.v)
			}

			// The server's side of the exchange.
			B := srpServerB(v, b)
			if got := B.Text(16); got != tc.srpB {
				t.Fatalf("SRP_B = %s, want %s", got, tc.srpB)
			}
			if len(tc.srpB) != tc.digitsB {
				t.Fatalf("SRP_B has %d digits, vector says %d", len(tc.srpB), tc.digitsB)
			}
			u := srpU(A, B)
			if got := hex32(u); got != tc.u {
				t.Fatalf("u = %s, want %s", got, tc.u)
			}
			S := srpServerS(A, v, u, b)
			if got := S.Text(16); got != tc.s {
				t.Fatalf("S = %s, want %s", got, tc.s)
			}
			K := srpKey(u, S)
			if got := hex.EncodeToString(K); got != tc.k {
				t.Fatalf("K = %s, want %s", got, tc.k)
			}
			block, err := base64.StdEncoding.DecodeString(tc.block)
			if err != nil {
				t.Fatal(err)
			}
			sig := srpSignature(K, poolName, tc.userID, block, tc.timestamp)
			if got := base64.StdEncoding.EncodeToString(sig); got != tc.signature {
				t.Fatalf("PASSWORD_CLAIM_SIGNATURE = %s, want %s", got, tc.signature)
			}

			for _, l := range []struct {
				name      string
				n         *big.Int
				got, want int
			}{{"A", A, len(padBytes(A)), tc.padA}, {"B", B, len(padBytes(B)), tc.padB},
				{"u", u, len(padBytes(u)), tc.padU}, {"S", S, len(padBytes(S)), tc.padS}} {
				if l.got != l.want {
					t.Errorf("padHex(%s) is %d bytes, want %d", l.name, l.got, l.want)
				}
			}

			// The client's formula (§5.3) reaches the same S:
			// (B − k·g^x)^(a + u·x) mod N.
			base := new(big.Int).Sub(B, new(big.Int).Mul(srpK, srpVerifier(x)))
			base.Mod(base, srpN)
			exp := new(big.Int).Add(a, new(big.Int).Mul(u, x))
			if new(big.Int).Exp(base, exp, srpN).Cmp(S) != 0 {
				t.Fatal("client and server S differ")
			}

			// The TIMESTAMP is what the client clock formats to, and is
			// accepted at that clock.
			if _, err := parseSRPTimestamp(tc.timestamp, mustTime(t, tc.timestamp)); err != nil {
				t.Fatalf("parseSRPTimestamp(%q): %v", tc.timestamp, err)
			}

			// A wrong password gives another signature.
			x2 := srpX(poolName, tc.userID, tc.password+"x", salt)
			S2 := srpServerS(A, srpVerifier(x2), u, b)
			if bytes.Equal(srpSignature(srpKey(u, S2), poolName, tc.userID, block, tc.timestamp), sig) {
				t.Fatal("wrong password gives the same signature")
			}
		})
	}
}

func mustTime(t *testing.T, ts string) time.Time {
	t.Helper()
	tm, err := time.Parse(srpTimestampLayout, ts)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestSRPSaltIsHashedInPadHexForm(t *testing.T) {
	// §5.5 vector 2: wire SALT e0f1… is hashed as 00e0f1…; srpCredentials
	// stores the padHex form so SALT and the hashed bytes agree.
	salt, _ := parseSRPHex("e0f1d2c3b4a5968778695a4b3c2d1e0f")
	if got := padHex(salt); got != "00e0f1d2c3b4a5968778695a4b3c2d1e0f" {
		t.Fatalf("padHex(salt) = %s", got)
	}
	seen := map[string]bool{}
	for range 20 {
		s, v, err := srpCredentials("us-east-1_AbCdEfGhI", "alice", "Passw0rd!")
		if err != nil {
			t.Fatal(err)
		}
		n, ok := parseSRPHex(s)
		if !ok || padHex(n) != s || n.BitLen() > 8*srpSaltBytes {
			t.Fatalf("salt %q is not a padHex 16-byte value", s)
		}
		want := srpVerifier(srpX("AbCdEfGhI", "alice", "Passw0rd!", n)).Text(16)
		if v != want {
			t.Fatalf("verifier %s, want %s", v, want)
		}
		if seen[s] {
			t.Fatalf("salt %s repeated", s)
		}
		seen[s] = true
	}
}

func TestParseSRPA(t *testing.T) {
	nHex := srpN.Text(16)
	good := []string{
		"1", "2", "0abc", "ABCDEF", "aBcDeF0123456789",
		srpVectors[1].srpA, // 767 digits (odd length)
		strings.ToUpper(srpVectors[0].srpA),
		"00" + srpVectors[0].srpA, // leading zeros
		new(big.Int).Sub(srpN, big.NewInt(1)).Text(16),
	}
	for _, s := range good {
		if _, err := parseSRPA(s); err != nil {
			t.Errorf("parseSRPA(%.20q…) = %v, want ok", s, err)
		}
	}
	bad := []string{
		"", "0", "00", "000000", nHex, strings.ToUpper(nHex), new(big.Int).Add(srpN, big.NewInt(1)).Text(16),
		new(big.Int).Mul(srpN, big.NewInt(2)).Text(16),
		"-1", "+1", "0x12", "1_2", " 12", "12 ", "g", "12\n", "１２",
		strings.Repeat("0", srpMaxHexDigits) + "1", strings.Repeat("f", 5000),
	}
	for _, s := range bad {
		if _, err := parseSRPA(s); !errors.Is(err, errSRPA) {
			t.Errorf("parseSRPA(%.20q…) = %v, want errSRPA", s, err)
		}
	}
}

func TestParseSRPTimestamp(t *testing.T) {
	now := time.Date(2024, 6, 4, 9, 5, 3, 0, time.UTC)
	tests := []struct {
		ts   string
		want error
	}{
		{"Tue Jun 4 09:05:03 UTC 2024", nil},
		{"Tue Jun 4 09:09:03 UTC 2024", nil},                       // 4 minutes ahead
		{"Tue Jun 4 09:01:03 UTC 2024", nil},                       // 4 minutes behind
		{"Tue Jun 04 09:05:03 UTC 2024", srpTimestampNonCanonical}, // zero-padded day
		{"Wed Jun 4 09:05:03 UTC 2024", srpTimestampNonCanonical},  // wrong weekday
		{"Tue Jun 4 9:05:03 UTC 2024", srpTimestampNonCanonical},   // unpadded hour
		{"tue jun 4 09:05:03 UTC 2024", srpTimestampNonCanonical},  // lowercase names
		{"Tue Jun  4 09:05:03 UTC 2024", srpTimestampNonCanonical}, // double space
		{"Tue Jun 4 09:15:03 UTC 2024", srpTimestampSkewed},
		{"Tue Jun 4 08:55:03 UTC 2024", srpTimestampSkewed},
		{"Mon Jun 3 09:05:03 UTC 2024", srpTimestampSkewed},
		{"Tue Jun 4 09:05:03 GMT 2024", srpTimestampUnparsable},
		{"Tue Jun 4 09:05:03 2024", srpTimestampUnparsable},
		{"2024-06-04T09:05:03Z", srpTimestampUnparsable},
		{"Tuesday June 4 09:05:03 UTC 2024", srpTimestampUnparsable},
		{"Tue Jun 4 25:05:03 UTC 2024", srpTimestampUnparsable},
		{"garbage", srpTimestampUnparsable},
		{"", srpTimestampUnparsable},
	}
	for _, tc := range tests {
		_, err := parseSRPTimestamp(tc.ts, now)
		if !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("parseSRPTimestamp(%q) = %v, want %v", tc.ts, err, tc.want)
		}
	}
	// Every day of a year formats and parses back (one-digit days, all
	// weekdays and months).
	for d := range 366 {
		tm := time.Date(2028, 1, 1, 0, 7, 9, 0, time.UTC).AddDate(0, 0, d)
		ts := tm.Format(srpTimestampLayout)
		if _, err := parseSRPTimestamp(ts, tm); err != nil {
			t.Fatalf("parseSRPTimestamp(%q) = %v", ts, err)
		}
		if tm.Day() < 10 && strings.Contains(ts, " 0"+ts[8:9]+" ") {
			t.Fatalf("%q: day is zero-padded", ts)
		}
	}
}

func TestSecretBlockEncoding(t *testing.T) {
	raw := make([]byte, 100)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	sealed := "kid0123456789abcdefghi." + base64.RawURLEncoding.EncodeToString(raw)
	block, err := encodeSecretBlock(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base64.StdEncoding.Strict().DecodeString(block); err != nil || strings.ContainsAny(block, "-_") {
		t.Fatalf("SECRET_BLOCK %q is not standard padded base64", block)
	}
	decoded, _ := base64.StdEncoding.DecodeString(block)
	variants := []string{
		block,
		strings.NewReplacer("+", "-", "/", "_").Replace(block), // URL-safe
		strings.TrimRight(block, "="),                          // unpadded
	}
	for _, s := range variants {
		got, gotSealed, ok := decodeSecretBlock(s)
		if !ok || gotSealed != sealed || !bytes.Equal(got, decoded) {
			t.Fatalf("decodeSecretBlock(%q) = %v, %q", s, ok, gotSealed)
		}
	}
	for _, s := range []string{"", "AA==", "!!!!", base64.StdEncoding.EncodeToString([]byte{2, 3, 'k', 'i', 'd', 1}),
		base64.StdEncoding.EncodeToString([]byte{1, 0, 1, 2}), base64.StdEncoding.EncodeToString([]byte{1, 9, 'k'})} {
		if _, _, ok := decodeSecretBlock(s); ok {
			t.Errorf("decodeSecretBlock(%q) accepted", s)
		}
	}
	for _, s := range []string{"nodot", ".body", "kid.!!"} {
		if _, err := encodeSecretBlock(s); err == nil {
			t.Errorf("encodeSecretBlock(%q) accepted", s)
		}
	}
}

// BenchmarkSRPServerMath is the server's arithmetic for one sign-in, without
// storage or tokens: B = k·v + g^b and u at InitiateAuth, then S, K and the
// expected signature at the answer (§5.5 vector 1 values, a fresh b).
func BenchmarkSRPServerMath(b *testing.B) {
	tc := srpVectors[0]
	A, _ := parseSRPA(tc.srpA)
	v, _ := parseSRPHex(tc.v)
	block, _ := base64.StdEncoding.DecodeString(tc.block)
	b.ReportAllocs()
	for b.Loop() {
		secret, _, u := srpServerEphemeral(A, v)
		S := srpServerS(A, v, u, secret)
		_ = srpSignature(srpKey(u, S), "AbCdEfGhI", tc.userID, block, tc.timestamp)
	}
}
