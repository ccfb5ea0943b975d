package ids

// PolicyID returns an IAM managed policy unique ID: "ANPA" (IAM's unique ID
// prefix for managed policies) + 17 characters of base32 [A-Z2-7] (85 bits),
// 21 characters in all, the shape of RoleID.
func PolicyID() string {
	return "ANPA" + random(base32Upper, roleIDLen)
}
