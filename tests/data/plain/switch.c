enum op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR };

long eval(enum op op, long a, long b)
{
	switch (op) {
	case OP_ADD: return a + b;
	case OP_SUB: return a - b;
	case OP_MUL: return a * b;
	case OP_DIV: return b ? a / b : 0;
	case OP_MOD: return b ? a % b : 0;
	case OP_AND: return a & b;
	case OP_OR:  return a | b;
	case OP_XOR: return a ^ b;
	case OP_SHL: return a << (b & 63);
	case OP_SHR: return a >> (b & 63);
	}
	return -1;
}

const char *sparse_name(int code)
{
	switch (code) {
	case 1: return "one";
	case 100: return "hundred";
	case 1000: return "thousand";
	case -5: return "minus five";
	case 65536: return "big";
	default: return "?";
	}
}

int fallthrough(int x)
{
	int r = 0;
	switch (x) {
	case 3: r += 3; /* fall through */
	case 2: r += 2; /* fall through */
	case 1: r += 1; break;
	case 10 ... 20: r = 99; break;
	}
	return r;
}
