/* placeholder: replaced by the CLI main */
int main(void) { return 1; }
