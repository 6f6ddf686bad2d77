/* placeholder: the SIP video test peer */
int main(void)
{
	return 0;
}
